// cairn ls DATASTORE [PATH]: namespaces and groups, a group's snapshots, a snapshot's files.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/store/group_directory.h"
#include "core/store/snapshot_reader.h"
#include "core/util/hex.h"

namespace cairn::cli {
namespace {

struct LsOptions {
  std::string datastore;
  std::string path;
  KeyOptions key;
  bool json = false;
};

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

void ListNamespace(const Datastore& ds, const BackupNamespace& ns, bool json) {
  if (!ns.IsRoot() && !ds.NamespaceExists(ns)) {
    throw Error(ErrorKind::kNotFound, "namespace '" + ns.Name() + "' does not exist in " + ds.root().string());
  }
  nlohmann::json out = nlohmann::json::array();
  for (const BackupNamespace& child : ds.ListNamespaces(ns)) {
    if (json) out.push_back({{"kind", "namespace"}, {"path", child.RelativePath().string()}, {"ns", child.Name()}});
    else std::cout << child.RelativePath().string() << "/\n";
  }
  for (const BackupGroup& group : ds.ListGroups(ns)) {
    std::vector<Snapshot> snapshots = ds.ListSnapshots(group);
    std::optional<std::string> owner = ds.GroupOwner(group);
    std::optional<std::string> notes = ds.GroupNotes(group);
    if (json) {
      nlohmann::json j = {{"kind", "group"},
                          {"path", group.DisplayPath()},
                          {"ns", ns.Name()},
                          {"backup-type", BackupTypeName(group.type)},
                          {"backup-id", group.id},
                          {"backup-count", snapshots.size()}};
      if (!snapshots.empty()) j["last-backup"] = snapshots.back().time;
      if (owner) j["owner"] = *owner;
      if (notes) j["comment"] = FirstLine(*notes);
      out.push_back(j);
    } else {
      std::cout << std::left << std::setw(32) << group.DisplayPath() << " " << std::setw(4) << snapshots.size()
                << " snapshots  last " << (snapshots.empty() ? std::string("-") : snapshots.back().TimeString()) << "  "
                << owner.value_or("-") << (notes ? "  " + FirstLine(*notes) : "") << "\n";
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
}

void ListGroup(const Datastore& ds, const BackupGroup& group, const CryptConfig* crypt, bool json) {
  std::error_code ec;
  if (!std::filesystem::is_directory(ds.PathOf(group), ec)) {
    throw Error(ErrorKind::kNotFound, "backup group " + group.DisplayPath() + " does not exist in " + ds.root().string());
  }
  nlohmann::json out = nlohmann::json::array();
  const GroupDirectory dir(ds, group);  // one open directory for every snapshot's markers
  for (const Snapshot& snapshot : dir.ListSnapshots()) {
    std::optional<SnapshotReader> opened;
    try {
      opened.emplace(ds, snapshot, crypt);
    } catch (const Error& e) {  // one damaged snapshot must not hide the others
      if (json) out.push_back({{"kind", "snapshot"}, {"path", snapshot.DisplayPath()}, {"error", e.what()}});
      else std::cout << std::left << std::setw(48) << snapshot.DisplayPath() << " ERROR: " << e.what() << "\n";
      continue;
    }
    const SnapshotReader& reader = *opened;
    const Manifest& m = reader.manifest();
    uint64_t size = 0;
    bool encrypted = false;
    for (const ManifestFile& f : m.files()) {
      size += f.size;
      encrypted |= f.crypt_mode == CryptMode::kEncrypt;
    }
    std::optional<SnapshotVerifyState> verify = m.verify_state();
    bool is_protected = dir.IsProtected(snapshot);
    if (json) {
      nlohmann::json j = {{"kind", "snapshot"},
                          {"path", snapshot.DisplayPath()},
                          {"backup-type", BackupTypeName(group.type)},
                          {"backup-id", group.id},
                          {"backup-time", snapshot.time},
                          {"size", size},
                          {"protected", is_protected},
                          {"encrypted", encrypted},
                          {"files", nlohmann::json::array()}};
      for (const ManifestFile& f : m.files()) {
        j["files"].push_back({{"filename", f.filename}, {"size", f.size}, {"crypt-mode", CryptModeName(f.crypt_mode)}});
      }
      if (m.notes()) j["comment"] = FirstLine(*m.notes());
      if (verify) j["verification"] = {{"state", verify->state == VerifyState::kOk ? "ok" : "failed"}, {"upid", verify->upid}};
      out.push_back(j);
    } else {
      std::cout << std::left << std::setw(48) << snapshot.DisplayPath() << " " << std::right << std::setw(10)
                << HumanSize(size) << "  " << m.files().size() << " files" << (encrypted ? "  encrypted" : "")
                << (is_protected ? "  protected" : "")
                << (verify ? (verify->state == VerifyState::kOk ? "  verified" : "  VERIFY-FAILED") : "")
                << (m.notes() ? "  " + FirstLine(*m.notes()) : "") << "\n";
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
}

void ListSnapshot(const Datastore& ds, const Snapshot& snapshot, const CryptConfig* crypt, bool json) {
  SnapshotReader reader(ds, snapshot, crypt);
  std::vector<ManifestFile> files = reader.manifest().files();
  std::error_code ec;
  std::filesystem::path log = ds.PathOf(snapshot) / kClientLogBlobName;
  if (std::filesystem::is_regular_file(log, ec)) {
    files.push_back(ManifestFile{kClientLogBlobName, CryptMode::kNone, std::filesystem::file_size(log, ec), {}});
  }
  nlohmann::json out = nlohmann::json::array();
  for (const ManifestFile& f : files) {
    bool listed = f.filename != kClientLogBlobName;
    if (json) {
      nlohmann::json j = {{"filename", f.filename}, {"size", f.size}, {"crypt-mode", CryptModeName(f.crypt_mode)}};
      if (listed) j["csum"] = ToHex(f.csum);
      out.push_back(j);
    } else {
      std::cout << std::left << std::setw(40) << f.filename << " " << std::right << std::setw(12) << f.size << "  "
                << CryptModeName(f.crypt_mode) << "\n";
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
}

void RunLs(const LsOptions& o) {
  Datastore ds = OpenDatastore(o.datastore);
  DatastorePath path = ParseDatastorePath(o.path);
  std::unique_ptr<CryptConfig> crypt = LoadKey(o.key);
  if (!path.type) return ListNamespace(ds, path.ns, o.json);
  if (!path.id) throw Error(ErrorKind::kInvalidInput, "PATH must name a namespace, a group (TYPE/ID) or a snapshot");
  if (!path.time) return ListGroup(ds, BackupGroup{path.ns, *path.type, *path.id}, crypt.get(), o.json);
  ListSnapshot(ds, ds.ResolveSnapshot(path), crypt.get(), o.json);
}

}  // namespace

void RegisterLsCommand(CLI::App& app, CommandContext&) {
  auto o = std::make_shared<LsOptions>();
  CLI::App* cmd = app.add_subcommand("ls", "List namespaces and groups, a group's snapshots, or a snapshot's files");
  cmd->add_option("DATASTORE", o->datastore, "datastore directory or PBS datastore name")->required();
  cmd->add_option("PATH", o->path, "[ns/NS/...][TYPE/ID[/TIME|latest]] (default: the root namespace)");
  cmd->add_flag("--json", o->json, "print JSON");
  AddKeyOptions(cmd, o->key);
  cmd->footer(kExitCodeHelp);
  cmd->callback([o] { RunLs(*o); });
}

}  // namespace cairn::cli
