// TLS (`cairn nbd --tls-cert/--tls-key/--tls-ca/--tls`, issue 5; spec §9) with real GnuTLS
// clients: libnbd's nbdinfo, nbdcopy and C API with a test PKI made by openssl, plus raw
// sockets for the refusals before TLS and for a garbage TLS handshake.
#include <libnbd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbd/protocol.h"
#include "tests/nbd/libnbd_handle.h"
#include "tests/nbd/nbd_fixture.h"
#include "tests/nbd/raw_client.h"

namespace cairn::test {
namespace {

std::string Q(const std::string& s) { return "'" + s + "'"; }

// A CA, a server certificate for localhost and 127.0.0.1 signed by it, a client certificate
// signed by it and one signed by another CA (nbd-testing.md H1), made once per process.
// Client directories have libnbd's layout: ca-cert.pem, client-cert.pem, client-key.pem.
struct TestPki {
  static const TestPki& Get() {
    static const TestPki pki;
    return pki;
  }
  TestPki() {
    const std::string d = dir.path().string();
    auto run = [](const std::string& command) {
      ShellResult r = Sh(command);
      if (r.exit_code != 0) throw std::runtime_error(command + ": " + r.output);
    };
    auto ca = [&](const std::string& name) {
      run("cd " + Q(d) + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout " + name + "-key.pem -out " + name +
          "-cert.pem -days 30 -subj /CN=" + name +
          " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
    };
    // Signs NAME.csr (made with key NAME-key.pem) with CA into NAME-cert.pem.
    auto issue = [&](const std::string& name, const std::string& cn, const std::string& ext, const std::string& by) {
      run("cd " + Q(d) + " && openssl req -newkey rsa:2048 -nodes -keyout " + name + "-key.pem -out " + name +
          ".csr -subj /CN=" + cn + " && printf '" + ext + "' > " + name + ".ext && openssl x509 -req -in " + name +
          ".csr -CA " + by + "-cert.pem -CAkey " + by + "-key.pem -CAcreateserial -out " + name +
          "-cert.pem -days 30 -extfile " + name + ".ext");
    };
    ca("ca");
    ca("other-ca");
    issue("server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n", "ca");
    issue("client", "alice", "extendedKeyUsage=clientAuth\\n", "ca");
    issue("stranger", "mallory", "extendedKeyUsage=clientAuth\\n", "other-ca");
    auto client_dir = [&](const std::string& name, const std::string& client) {
      run("cd " + Q(d) + " && mkdir " + name + " && cp ca-cert.pem " + name + "/" +
          (client.empty() ? "" : " && cp " + client + "-cert.pem " + name + "/client-cert.pem && cp " + client +
                                     "-key.pem " + name + "/client-key.pem"));
    };
    client_dir("alice", "client");
    client_dir("anonymous", "");
    client_dir("mallory", "stranger");
  }
  std::string File(const std::string& name) const { return (dir / name).string(); }

  TempDir dir;
};

// A TCP port nothing listens on at the moment (the kernel's choice for port 0).
uint16_t FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free TCP port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

class NbdTls : public NbdTest {
 protected:
  // The server with the test PKI's server certificate and `extra` options.
  void StartTlsServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--tls-cert", pki_.File("server-cert.pem"), "--tls-key",
                                     pki_.File("server-key.pem")};
    args.insert(args.end(), extra.begin(), extra.end());
    StartServer(args);
  }
  // nbds+unix URI of `name` on the test server, with the client credentials in `client`.
  std::string TlsUri(const std::string& name, const std::string& client = "alice") const {
    std::string uri = Uri(name);
    return "nbds" + uri.substr(3) + "&tls-certificates=" + pki_.File(client);
  }
  // `nbdinfo --size URI`: the exit code and output.
  static ShellResult Size(const std::string& uri) { return Sh("nbdinfo --size " + Q(uri)); }
  void ExpectSize(const std::string& uri, uint64_t size) {
    ShellResult r = Size(uri);
    ASSERT_EQ(r.exit_code, 0) << uri << ": " << r.output;
    EXPECT_EQ(r.output, std::to_string(size) + "\n");
  }

  const TestPki& pki_ = TestPki::Get();
};

TEST_F(NbdTls, RequiredTlsReadsExactBytesOverTcpAndUnix) {
  const uint16_t port = FreeTcpPort();
  StartTlsServer({"--listen", "tcp:127.0.0.1:" + std::to_string(port)});
  const std::string tcp = "nbds://127.0.0.1:" + std::to_string(port) + "/" + std::string(kExportA) +
                          "?tls-certificates=" + pki_.File("alice");
  std::string out = (tmp_ / "copy.img").string();
  ShellResult r = Sh("nbdcopy " + Q(tcp) + " " + Q(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Sh("sha256sum < " + Q(out)).output, Sh("sha256sum < " + Q(data_.image_a_path)).output);
  // Over the unix socket too, with structured replies and block status inside the session.
  r = Sh("nbdinfo " + Q(TlsUri(kExportA)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("newstyle-fixed with TLS, using structured packets"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("base:allocation"), std::string::npos) << r.output;
  r = Sh("nbdcopy " + Q(TlsUri(kLatest)) + " - | sha256sum");
  EXPECT_EQ(r.output, Sh("sha256sum < " + Q(data_.image_b_path)).output);
}

TEST_F(NbdTls, RequireRefusesEverythingBeforeStartTls) {
  StartTlsServer();
  // libnbd without TLS gets ERR_TLS_REQD and says so.
  ShellResult r = Size(Uri(kExportA));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("server requires TLS"), std::string::npos) << r.output;
  {
    // Every option but STARTTLS and ABORT (spec §9.1, nbd-testing.md H3).
    RawNbdClient c(socket_);
    ASSERT_TRUE(c.Greet());
    EXPECT_EQ(c.Option(nbd::kOptList), nbd::kRepErrTlsReqd);
    Bytes go = GoPayload(kExportA);
    EXPECT_EQ(c.Option(nbd::kOptInfo, go), nbd::kRepErrTlsReqd);
    EXPECT_EQ(c.Option(nbd::kOptGo, go), nbd::kRepErrTlsReqd);
    EXPECT_EQ(c.Option(nbd::kOptStructuredReply), nbd::kRepErrTlsReqd);
    Bytes meta = MetaContextPayload(kExportA, {"base:allocation"});
    EXPECT_EQ(c.Option(nbd::kOptSetMetaContext, meta), nbd::kRepErrTlsReqd);
    Bytes junk = {'z', 'z'};
    EXPECT_EQ(c.Option(0x7777, junk), nbd::kRepErrTlsReqd);
    EXPECT_EQ(c.Option(nbd::kOptStartTls, junk), nbd::kRepErrInvalid);
    EXPECT_EQ(c.Option(nbd::kOptAbort), nbd::kRepAck);
  }
  {
    // EXPORT_NAME has no error reply: the connection closes.
    RawNbdClient c(socket_);
    ASSERT_TRUE(c.Greet());
    c.SendOption(nbd::kOptExportName, AsBytes(std::string_view(kExportA)));
    EXPECT_TRUE(c.ClosedByServer());
  }
  ExpectSize(TlsUri(kExportA), data_.image_a.size());
}

TEST_F(NbdTls, AllowServesPlainAndTlsClients) {
  StartTlsServer({"--tls", "allow"});
  ExpectSize(Uri(kExportA), data_.image_a.size());
  ExpectSize(TlsUri(kExportA), data_.image_a.size());
  ShellResult r = Sh("nbdinfo " + Q(Uri(kExportA)));
  EXPECT_NE(r.output.find("newstyle-fixed without TLS"), std::string::npos) << r.output;
}

TEST_F(NbdTls, TlsIsOffWithoutCertificate) {
  StartServer();
  RawNbdClient c(socket_);
  ASSERT_TRUE(c.Greet());
  EXPECT_EQ(c.Option(nbd::kOptStartTls), nbd::kRepErrUnsup);
  EXPECT_TRUE(c.Go(kExportA));
  ShellResult r = Size(TlsUri(kExportA));
  EXPECT_NE(r.exit_code, 0) << r.output;
}

TEST_F(NbdTls, ClientCertificatesAreVerifiedAgainstTheCa) {
  StartTlsServer({"--tls-ca", pki_.File("ca-cert.pem")});
  EXPECT_NE(Size(TlsUri(kExportA, "anonymous")).exit_code, 0) << "a client without a certificate was served";
  EXPECT_NE(Size(TlsUri(kExportA, "mallory")).exit_code, 0) << "a certificate from another CA was accepted";
  ExpectSize(TlsUri(kExportA, "alice"), data_.image_a.size());
  std::string out = (tmp_ / "copy.img").string();
  ShellResult r = Sh("nbdcopy " + Q(TlsUri(kExportA)) + " " + Q(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(ReadFileBytes(out) == data_.image_a);
}

TEST_F(NbdTls, WithoutCaAnyTlsClientIsServed) {
  StartTlsServer();
  ExpectSize(TlsUri(kExportA, "anonymous"), data_.image_a.size());
}

TEST_F(NbdTls, GarbageTlsHandshakeCostsOnlyThatConnection) {
  StartTlsServer();
  for (size_t length : {1u, 5u, 300u, 70000u}) {
    RawNbdClient c(socket_);
    ASSERT_TRUE(c.Greet());
    ASSERT_EQ(c.Option(nbd::kOptStartTls), nbd::kRepAck);
    Bytes junk(length);
    for (size_t i = 0; i < length; ++i) junk[i] = static_cast<uint8_t>(i * 37 + 11);
    c.Send(junk);
    if (length < 300) c.ShutdownWrite();  // a peer that stops mid-record
    EXPECT_TRUE(c.ClosedByServer()) << length << " bytes of junk";
  }
  ExpectSize(TlsUri(kExportA), data_.image_a.size());
}

TEST_F(NbdTls, OverlayWritesGoThroughTheSession) {
  StartTlsServer({"--overlay", (tmp_ / "overlays").string()});
  Bytes block(65536);
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<uint8_t>(i * 13 + 1);
  const uint64_t offset = 3 << 20;
  {
    Handle h(TlsUri(kExportA));
    ASSERT_TRUE(h.ok()) << h.error();
    EXPECT_EQ(nbd_get_tls_negotiated(h.get()), 1);
    ASSERT_EQ(nbd_pwrite(h.get(), block.data(), block.size(), offset, 0), 0) << nbd_get_error();
    ASSERT_EQ(nbd_flush(h.get(), 0), 0) << nbd_get_error();
  }
  Handle h(TlsUri(kExportA));
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes got(3 * block.size());
  ASSERT_EQ(nbd_pread(h.get(), got.data(), got.size(), offset - block.size(), 0), 0) << nbd_get_error();
  EXPECT_TRUE(std::equal(got.begin(), got.begin() + 65536, data_.image_a.begin() + (offset - 65536)));
  EXPECT_TRUE(std::equal(block.begin(), block.end(), got.begin() + 65536));
  EXPECT_TRUE(std::equal(got.begin() + 131072, got.end(), data_.image_a.begin() + (offset + 65536)));
}

// Credential errors stop the server before it listens, naming the file (exit 3 not found, 2
// unusable), and TLS options that cannot work are usage errors.
TEST_F(NbdTls, CredentialErrorsNameTheFile) {
  auto nbd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"nbd", data_.store, "--listen", "unix:" + socket_});
    return RunCairn(args, data_.env);
  };
  const std::string missing = (tmp_ / "missing.pem").string();
  CommandResult r = nbd({"--tls-cert", missing, "--tls-key", pki_.File("server-key.pem")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("cannot read TLS certificate " + missing + ": No such file or directory"), std::string::npos)
      << r.err;
  const std::string garbage = (tmp_ / "garbage.pem").string();
  WriteFileBytes(garbage, AsBytes(std::string_view("not a certificate\n")));
  r = nbd({"--tls-cert", garbage, "--tls-key", pki_.File("server-key.pem")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot use TLS certificate " + garbage), std::string::npos) << r.err;
  r = nbd({"--tls-cert", pki_.File("server-cert.pem"), "--tls-key", garbage});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot use TLS key " + garbage), std::string::npos) << r.err;
  r = nbd({"--tls-cert", pki_.File("server-cert.pem"), "--tls-key", pki_.File("client-key.pem")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot use TLS key " + pki_.File("client-key.pem") + ": error:05800074:x509 certificate "
                       "routines::key values mismatch"),
            std::string::npos)
      << r.err;
  r = nbd({"--tls-cert", pki_.File("server-cert.pem"), "--tls-key", pki_.File("server-key.pem"), "--tls-ca", garbage});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot use TLS CA certificate " + garbage), std::string::npos) << r.err;
  r = nbd({"--tls", "require"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--tls require needs --tls-cert and --tls-key"), std::string::npos) << r.err;
  r = nbd({"--tls-ca", pki_.File("ca-cert.pem")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--tls-key and --tls-ca need --tls-cert"), std::string::npos) << r.err;
  r = nbd({"--tls", "sometimes"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

// Binding beyond loopback warns only when clients may come without TLS. The server binds
// 0.0.0.0 inside a network namespace of its own (`unshare -n`), which nothing can reach;
// it is stopped once it reports that it serves.
TEST_F(NbdTls, NonLoopbackWarningOnlyWithoutRequiredTls) {
  auto serve = [&](const std::string& mode) {
    std::string log = (tmp_ / ("server-" + mode + ".log")).string();
    std::string command = "env";
    for (const std::string& e : data_.env) command += " " + Q(e);
    command += " unshare -n " + std::string(CAIRN_BINARY) + " nbd " + Q(data_.store) + " --listen tcp:0.0.0.0:10809" +
               " --tls " + mode + " --tls-cert " + Q(pki_.File("server-cert.pem")) + " --tls-key " +
               Q(pki_.File("server-key.pem")) + " > " + Q(log) + " 2>&1 & pid=$!; " +
               "until grep -q '^serving' " + Q(log) + " || ! kill -0 $pid; do sleep 0.05; done; kill $pid; wait $pid";
    ShellResult r = Sh(command);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return std::string(AsChars(ReadFileBytes(log)));
  };
  std::string log = serve("require");
  EXPECT_NE(log.find("(TLS required)"), std::string::npos) << log;
  EXPECT_EQ(log.find("without requiring TLS"), std::string::npos) << log;
  log = serve("allow");
  EXPECT_NE(log.find("(TLS allowed)"), std::string::npos) << log;
  EXPECT_NE(log.find("listening on 0.0.0.0 without requiring TLS"), std::string::npos) << log;
}

}  // namespace
}  // namespace cairn::test
