// cairn key create|show: PBS-compatible encryption key files.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/password.h"
#include "core/format/key_file.h"
#include "core/util/file.h"
#include "core/util/time.h"

namespace cairn::cli {
namespace {

struct KeyCreateOptions {
  std::string path;
  std::string kdf = "scrypt";
  int password_fd = -1;
  bool force = false;
};

struct KeyShowOptions {
  std::string path;
  bool json = false;
};

void CreateKey(const KeyCreateOptions& o) {
  KdfKind kind = o.kdf == "none" ? KdfKind::kNone : o.kdf == "pbkdf2" ? KdfKind::kPbkdf2 : KdfKind::kScrypt;
  std::string password;
  if (kind != KdfKind::kNone) password = ReadPassword("Encryption key password: ", o.password_fd, true);
  AesKey key;
  RandomBytes(key);
  KeyFile file = KeyFile::Create(key, kind, password);
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (o.force ? O_TRUNC : O_EXCL);
  UniqueFd fd(::open(o.path.c_str(), flags, 0600));
  if (!fd) {
    if (errno == EEXIST) throw Error(ErrorKind::kInvalidInput, o.path + " exists; use --force to overwrite it");
    throw SystemError("cannot create " + o.path, errno);
  }
  WriteFull(fd.get(), AsBytes(file.ToJson()), o.path);
  std::cerr << "created key " << o.path << ", fingerprint " << FingerprintFull(CryptConfig(key).fingerprint()) << "\n";
}

void ShowKey(const KeyShowOptions& o) {
  Bytes text = ReadWholeFile(o.path, 1 << 20);
  KeyFile file = KeyFile::Parse(AsChars(text));
  std::string kdf = file.kdf_kind() == KdfKind::kNone ? "none" : file.kdf_kind() == KdfKind::kScrypt ? "scrypt" : "pbkdf2";
  std::string fp = file.fingerprint ? FingerprintFull(*file.fingerprint) : "";
  if (o.json) {
    nlohmann::json j = {{"path", o.path}, {"kdf", kdf}, {"created", FormatLocalRfc3339(file.created)},
                        {"modified", FormatLocalRfc3339(file.modified)}, {"fingerprint", fp}};
    if (file.hint) j["hint"] = *file.hint;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "path:        " << o.path << "\n"
            << "kdf:         " << kdf << "\n"
            << "created:     " << FormatLocalRfc3339(file.created) << "\n"
            << "modified:    " << FormatLocalRfc3339(file.modified) << "\n"
            << "fingerprint: " << (fp.empty() ? "(not stored)" : fp) << "\n";
  if (file.hint) std::cout << "hint:        " << *file.hint << "\n";
}

}  // namespace

void RegisterKeyCommand(CLI::App& app, CommandContext&) {
  CLI::App* key = app.add_subcommand("key", "Create and inspect PBS encryption key files");
  key->require_subcommand(1);
  key->footer(kExitCodeHelp);

  auto create = std::make_shared<KeyCreateOptions>();
  CLI::App* c = key->add_subcommand("create", "Create a new random key file (PBS format)");
  c->add_option("PATH", create->path, "key file to write")->required();
  c->add_option("--kdf", create->kdf, "password protection: scrypt (default), pbkdf2 or none")
      ->check(CLI::IsMember({"scrypt", "pbkdf2", "none"}));
  c->add_option("--password-fd", create->password_fd, "read the new password from this file descriptor");
  c->add_flag("--force", create->force, "overwrite an existing file");
  c->footer(kExitCodeHelp);
  c->callback([create] { CreateKey(*create); });

  auto show = std::make_shared<KeyShowOptions>();
  CLI::App* s = key->add_subcommand("show", "Show a key file's KDF, dates and fingerprint (no password needed)");
  s->add_option("PATH", show->path, "key file")->required();
  s->add_flag("--json", show->json, "print JSON");
  s->footer(kExitCodeHelp);
  s->callback([show] { ShowKey(*show); });
}

}  // namespace cairn::cli
