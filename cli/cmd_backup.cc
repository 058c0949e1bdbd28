// cairn backup image|dir: write a PBS snapshot of disk images (and config blobs) or of
// directory trees (pxar archives with a catalog).
#include <ctime>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "core/util/file.h"
#include "core/util/time.h"
#include "core/format/chunker.h"
#include "core/write/chunked_stream_writer.h"
#include "core/write/dir_backup.h"
#include "core/write/image_backup.h"

namespace cairn::cli {
namespace {

// What every backup subcommand takes.
struct BackupOptions {
  std::string datastore;
  std::string ns;
  std::string type;
  std::string id;
  std::string backup_time;
  std::string owner = kDefaultOwner;
  std::vector<std::string> archives;
  KeyOptions key;
  bool json = false;
};

struct BackupImageOptions : BackupOptions {
  std::string chunk_size = "4M";
};

struct BackupDirOptions : BackupOptions {
  std::vector<std::string> excludes;
  bool split = false;
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// PBS's archive-name mapping (spec §1.6): .conf/.json/.key/.log become blobs, everything
// else an image.
bool IsBlobArchive(const std::string& name) {
  return EndsWith(name, ".conf") || EndsWith(name, ".json") || EndsWith(name, ".key") || EndsWith(name, ".log");
}

// The snapshot named by the common options.
Snapshot SnapshotOf(const BackupOptions& o) {
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
  return Snapshot{BackupGroup{ns, *type, o.id}, time};
}

// NAME=SOURCE pairs; `name_of` maps NAME to the archive name (adds the extension).
std::vector<std::pair<std::string, std::string>> ParseArchives(const BackupOptions& o, const char* example,
                                                               const std::function<std::string(std::string)>& name_of) {
  std::vector<std::pair<std::string, std::string>> archives;
  for (const std::string& spec : o.archives) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw Error(ErrorKind::kInvalidInput, "archive '" + spec + "' must be NAME=" + example);
    }
    std::string name = name_of(spec.substr(0, eq));
    if (!IsSafeName(name)) throw Error(ErrorKind::kInvalidInput, "archive name '" + name + "' is not valid");
    archives.emplace_back(name, spec.substr(eq + 1));
  }
  return archives;
}

// Writes the snapshot: `add` adds the archives, then the manifest is written and the result
// printed.
void RunBackup(const BackupOptions& o, const CommandContext& context,
               const std::function<void(SnapshotWriter&)>& add) {
  Snapshot snapshot = SnapshotOf(o);
  std::unique_ptr<CryptConfig> crypt = LoadKey(o.key);
  Datastore datastore = OpenDatastore(o.datastore);
  SnapshotWriter writer(datastore, snapshot, crypt.get(), o.owner);
  add(writer);
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

void RunBackupImage(const BackupImageOptions& o, const CommandContext& context) {
  uint64_t chunk_size = ParseByteSize(o.chunk_size);
  if (!IsSelectableChunkSize(chunk_size)) {
    throw Error(ErrorKind::kInvalidInput, "--chunk-size must be a power of two from 64K to 4M");
  }
  auto archives = ParseArchives(o, "FILE (e.g. drive-scsi0.img=/dev/sdb)", [](std::string name) {
    if (!IsBlobArchive(name) && !EndsWith(name, ".img")) name += ".img";
    return name;
  });
  RunBackup(o, context, [&](SnapshotWriter& writer) {
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
  });
}

void RunBackupDir(const BackupDirOptions& o, const CommandContext& context) {
  auto archives = ParseArchives(o, "DIR (e.g. root.pxar=/)", [](std::string name) {
    if (!EndsWith(name, ".pxar")) name += ".pxar";
    return name;
  });
  RunBackup(o, context, [&](SnapshotWriter& writer) {
    ChunkedStreamWriter catalog_stream(writer, Chunker::kCatalogAverage);
    CatalogWriter catalog([&](ByteView b) { catalog_stream.Write(b); });
    for (const auto& [name, dir] : archives) {
      Progress progress("backup " + name, 0, !*context.quiet && !o.json);
      DirBackupOptions options;
      options.excludes = o.excludes;
      options.split = o.split;
      options.progress = [&](const DirBackupStats& stats) { progress.Update(stats.bytes); };
      DirBackupStats stats = BackupDirectory(writer, name, dir, &catalog, options);
      if (stats.vanished && !*context.quiet) {
        std::cerr << name << ": " << stats.vanished << " entries vanished while the backup ran\n";
      }
    }
    if (!o.split) {
      catalog.Finish();
      catalog_stream.Finish("catalog.pcat1.didx");
    }
  });
}

void AddCommonOptions(CLI::App* cmd, BackupOptions& o) {
  cmd->add_option("DATASTORE", o.datastore, "datastore directory or PBS datastore name")->required();
  cmd->add_option("--ns", o.ns, "namespace, e.g. prod/web (created if missing)");
  cmd->add_option("--id", o.id, "backup id, e.g. 100")->required();
  cmd->add_option("--backup-time", o.backup_time, "snapshot time, RFC 3339 (default: now)");
  cmd->add_option("--owner", o.owner, "owner written for a new group (default root@pam)");
  cmd->add_flag("--json", o.json, "print the result as JSON");
  AddKeyOptions(cmd, o.key);
  cmd->footer(kExitCodeHelp);
}

}  // namespace

void RegisterBackupCommand(CLI::App& app, CommandContext& context) {
  CLI::App* backup = app.add_subcommand("backup", "Write PBS-format backups into a datastore");
  backup->require_subcommand(1);
  backup->footer(kExitCodeHelp);
  auto o = std::make_shared<BackupImageOptions>();
  o->type = "vm";
  CLI::App* image = backup->add_subcommand("image", "Back up disk images (NAME=FILE, e.g. drive-scsi0.img=/dev/sdb) "
                                                    "and config files (qemu-server.conf=FILE) as one snapshot");
  AddCommonOptions(image, *o);
  image->add_option("ARCHIVES", o->archives, "NAME=FILE pairs; names ending .conf/.json/.log/.key become blobs")->required();
  image->add_option("--type", o->type, "backup type: vm, ct or host")->check(CLI::IsMember({"vm", "ct", "host"}));
  image->add_option("--chunk-size", o->chunk_size, "fixed chunk size, 64K..4M (default 4M)");
  image->callback([o, &context] { RunBackupImage(*o, context); });

  auto d = std::make_shared<BackupDirOptions>();
  d->type = "host";
  CLI::App* dir = backup->add_subcommand("dir", "Back up directory trees (NAME=DIR, e.g. root.pxar=/) as pxar "
                                                "archives with a catalog, chunked like proxmox-backup-client");
  AddCommonOptions(dir, *d);
  dir->add_option("ARCHIVES", d->archives, "NAME=DIR pairs; '.pxar' is appended to NAME when missing")->required();
  dir->add_option("--type", d->type, "backup type: ct or host (default host)")->check(CLI::IsMember({"ct", "host"}));
  dir->add_option("--exclude", d->excludes,
                  "exclude paths matching this glob (repeatable; '**' spans directory levels, '!' re-includes, "
                  "leading '/' anchors at DIR); "
                  ".pxarexclude files in the tree are honoured too");
  dir->add_flag("--split", d->split,
                "format version 2: metadata NAME.mpxar.didx + payload NAME.ppxar.didx, no catalog (as PBS)");
  dir->callback([d, &context] { RunBackupDir(*d, context); });
}

}  // namespace cairn::cli
