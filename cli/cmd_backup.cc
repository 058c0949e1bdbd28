// cairn backup image: write a PBS snapshot of disk images (and config blobs).
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "core/util/file.h"
#include "core/util/time.h"
#include "core/write/image_backup.h"

namespace cairn::cli {
namespace {

struct BackupImageOptions {
  std::string datastore;
  std::string ns;
  std::string type = "vm";
  std::string id;
  std::string backup_time;
  std::string owner = kDefaultOwner;
  std::string chunk_size = "4M";
  std::vector<std::string> archives;
  KeyOptions key;
  bool json = false;
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// PBS's archive-name mapping (spec §1.6): .conf/.json/.key/.log become blobs, everything
// else an image.
bool IsBlobArchive(const std::string& name) {
  return EndsWith(name, ".conf") || EndsWith(name, ".json") || EndsWith(name, ".key") || EndsWith(name, ".log");
}

void RunBackupImage(const BackupImageOptions& o, const CommandContext& context) {
  std::optional<BackupType> type = ParseBackupType(o.type);
  if (!type) throw Error(ErrorKind::kInvalidInput, "--type must be vm, ct or host");
  if (!IsSafeName(o.id)) throw Error(ErrorKind::kInvalidInput, "--id '" + o.id + "' is not a valid backup id");
  BackupNamespace ns = ParseNamespaceName(o.ns);
  int64_t time = static_cast<int64_t>(std::time(nullptr));
  if (!o.backup_time.empty()) {
    std::optional<int64_t> parsed = ParseRfc3339(o.backup_time);
    if (!parsed) throw Error(ErrorKind::kInvalidInput, "--backup-time '" + o.backup_time + "' is not RFC 3339 (2024-05-01T10:00:00Z)");
    time = *parsed;
  }
  uint64_t chunk_size = ParseByteSize(o.chunk_size);
  if (!IsSelectableChunkSize(chunk_size)) {
    throw Error(ErrorKind::kInvalidInput, "--chunk-size must be a power of two from 64K to 4M");
  }
  std::vector<std::pair<std::string, std::string>> archives;
  for (const std::string& spec : o.archives) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw Error(ErrorKind::kInvalidInput, "archive '" + spec + "' must be NAME=FILE (e.g. drive-scsi0.img=/dev/sdb)");
    }
    std::string name = spec.substr(0, eq);
    if (!IsBlobArchive(name) && !EndsWith(name, ".img")) name += ".img";
    if (!IsSafeName(name)) throw Error(ErrorKind::kInvalidInput, "archive name '" + name + "' is not valid");
    archives.emplace_back(name, spec.substr(eq + 1));
  }

  std::unique_ptr<CryptConfig> crypt = LoadKey(o.key);
  Datastore datastore = OpenDatastore(o.datastore);
  Snapshot snapshot{BackupGroup{ns, *type, o.id}, time};
  SnapshotWriter writer(datastore, snapshot, crypt.get(), o.owner);
  for (const auto& [name, file] : archives) {
    if (IsBlobArchive(name)) {
      writer.AddBlob(name + ".blob", ReadWholeFile(file, 16 << 20));
      continue;
    }
    Progress progress("backup " + name, 0, !*context.quiet && !o.json);
    BackupImage(writer, name, file, chunk_size, [&](uint64_t done, uint64_t total) {
      progress.set_total(total);
      progress.Update(done);
    });
  }
  writer.Finish();
  ChunkUploadStats stats = writer.chunks().stats();
  if (o.json) {
    nlohmann::json j = {{"snapshot", snapshot.DisplayPath()},
                        {"chunks", stats.count},
                        {"duplicates", stats.duplicates},
                        {"size", stats.size},
                        {"compressed-size", stats.compressed_size}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << snapshot.DisplayPath() << "\n";
    if (!*context.quiet) {
      std::cerr << "backed up " << HumanSize(stats.size) << " in " << stats.count << " chunks (" << stats.duplicates
                << " already stored), wrote " << HumanSize(stats.compressed_size) << "\n";
    }
  }
}

}  // namespace

void RegisterBackupCommand(CLI::App& app, CommandContext& context) {
  CLI::App* backup = app.add_subcommand("backup", "Write PBS-format backups into a datastore");
  backup->require_subcommand(1);
  backup->footer(kExitCodeHelp);
  auto o = std::make_shared<BackupImageOptions>();
  CLI::App* image = backup->add_subcommand("image", "Back up disk images (NAME=FILE, e.g. drive-scsi0.img=/dev/sdb) "
                                                    "and config files (qemu-server.conf=FILE) as one snapshot");
  image->add_option("DATASTORE", o->datastore, "datastore directory or PBS datastore name")->required();
  image->add_option("ARCHIVES", o->archives, "NAME=FILE pairs; names ending .conf/.json/.log/.key become blobs")->required();
  image->add_option("--ns", o->ns, "namespace, e.g. prod/web (created if missing)");
  image->add_option("--type", o->type, "backup type: vm, ct or host")->check(CLI::IsMember({"vm", "ct", "host"}));
  image->add_option("--id", o->id, "backup id, e.g. 100")->required();
  image->add_option("--backup-time", o->backup_time, "snapshot time, RFC 3339 (default: now)");
  image->add_option("--owner", o->owner, "owner written for a new group (default root@pam)");
  image->add_option("--chunk-size", o->chunk_size, "fixed chunk size, 64K..4M (default 4M)");
  image->add_flag("--json", o->json, "print the result as JSON");
  AddKeyOptions(image, o->key);
  image->footer(kExitCodeHelp);
  image->callback([o, &context] { RunBackupImage(*o, context); });
}

}  // namespace cairn::cli
