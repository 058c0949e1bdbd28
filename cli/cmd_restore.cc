// cairn restore DATASTORE SNAPSHOT ARCHIVE[/PATH] TARGET: extract files of a pxar archive
// with their metadata; hostile entries are refused and reported, the rest goes on. Also
// files of ext2/3/4 filesystems inside VM images: drive-scsi0.img.fs/N/PATH.
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "core/image_fs/ext_restore.h"
#include "core/image_fs/image_fs_path.h"
#include "core/pxar/accessor.h"
#include "core/read/archive_reader.h"
#include "core/read/snapshot_image.h"
#include "core/restore/extractor.h"
#include "core/store/snapshot_reader.h"

namespace cairn::cli {
namespace {

struct RestoreCommandOptions {
  std::string datastore;
  std::string snapshot;
  std::string archive;  // ARCHIVE[/PATH]
  std::string target;
  KeyOptions key;
  CacheOptions cache;
  RestoreOptions restore;
  bool no_owner = false, no_xattrs = false, no_acls = false;
};

// The stored index names of file archive `name` ("root.pxar"): {root.pxar.didx, ""} or the
// split pair {root.mpxar.didx, root.ppxar.didx}.
std::pair<std::string, std::string> ArchiveFiles(const SnapshotReader& reader, std::string name) {
  if (name.ends_with(".didx")) name.resize(name.size() - 5);
  if (name.ends_with(".mpxar")) name = name.substr(0, name.size() - 6) + ".pxar";
  if (!name.ends_with(".pxar")) name += ".pxar";
  const std::string stem = name.substr(0, name.size() - 5);
  for (const ManifestFile& f : reader.manifest().files()) {
    if (f.filename == name + ".didx") return {f.filename, ""};
    if (f.filename == stem + ".mpxar.didx") return {f.filename, stem + ".ppxar.didx"};
  }
  throw Error(ErrorKind::kNotFound, reader.Describe(name) + ": no such file archive in the snapshot");
}

// drive-scsi0.img.fs/N/PATH: PATH of the ext filesystem of partition N (0: the whole image)
// becomes TARGET.
void RestoreFromImage(const RestoreCommandOptions& o, const Datastore& ds, const Snapshot& snapshot,
                      const SnapshotReader& reader, const CryptConfig* crypt, const ImageFsPath& path,
                      const CommandContext& context) {
  if (!o.restore.includes.empty() || !o.restore.excludes.empty()) {
    throw Error(ErrorKind::kInvalidInput, "--include and --exclude apply to file archives, not to image filesystems");
  }
  ChunkCache cache(o.cache.chunk_cache());
  std::shared_ptr<BlockSource> image =
      SnapshotImage::Open(ds, snapshot, crypt, reader.ResolveFileName(path.image), cache, ReadOptions{o.cache.readahead});
  std::unique_ptr<ExtFilesystem> fs = OpenVolumeFilesystem(image, path.volume, snapshot.DisplayPath() + "/" + path.image);
  ExtRestoreOptions options;
  options.overwrite = o.restore.overwrite;
  options.owners = options.owners && !o.no_owner;
  options.xattrs = !o.no_xattrs;
  options.refused = [](const std::string& message) { std::cerr << "skipped: " << message << "\n"; };
  ExtRestoreStats stats = RestoreExtPath(*fs, path.inner, o.target, options);
  if (!*context.quiet) {
    std::cerr << "restored " << stats.files << " files, " << stats.directories << " directories, " << stats.symlinks
              << " symlinks, " << stats.hardlinks << " hard links, " << HumanSize(stats.bytes) << "\n";
  }
  if (stats.xattr_failures > 0) std::cerr << stats.xattr_failures << " extended attributes could not be set\n";
  if (stats.skipped > 0) std::cerr << stats.skipped << " devices, FIFOs or sockets skipped (only root can make them)\n";
  if (stats.refused > 0) std::cerr << stats.refused << " entries refused (names that are not plain or repeat)\n";
  if (stats.skipped > 0 || stats.refused > 0) throw ExitStatus{kExitSkipped};
}

void RunRestore(RestoreCommandOptions& o, const CommandContext& context) {
  o.restore.owner = !o.no_owner;
  o.restore.xattrs = !o.no_xattrs;
  o.restore.acls = !o.no_acls;
  Datastore ds = OpenDatastore(o.datastore);
  std::unique_ptr<CryptConfig> crypt = LoadKey(o.key);
  Snapshot snapshot = ds.ResolveSnapshot(ParseDatastorePath(o.snapshot));
  SnapshotReader reader(ds, snapshot, crypt.get());
  if (std::optional<ImageFsPath> image_path = ParseImageFsPath(o.archive)) {
    return RestoreFromImage(o, ds, snapshot, reader, crypt.get(), *image_path, context);
  }
  size_t slash = o.archive.find('/');
  std::string path = slash == std::string::npos ? "" : o.archive.substr(slash + 1);
  auto [meta_file, payload_file] = ArchiveFiles(reader, o.archive.substr(0, slash));

  ChunkCache cache(o.cache.chunk_cache());
  std::unique_ptr<IndexReader> archive = OpenArchiveReader(reader, meta_file, cache, ReadOptions{o.cache.readahead});
  std::unique_ptr<IndexReader> payload;
  if (!payload_file.empty()) payload = OpenArchiveReader(reader, payload_file, cache, ReadOptions{o.cache.readahead});
  pxar::Accessor accessor(*archive, payload.get(), archive->description());

  RestoreStats stats;
  {
    Progress progress("restore", payload ? payload->size() : archive->size(), !*context.quiet);
    RestoreCallbacks callbacks;
    callbacks.warn = [](const std::string& message) { std::cerr << "skipped: " << message << "\n"; };
    callbacks.notice = [](const std::string& message) { std::cerr << "warning: " << message << "\n"; };
    callbacks.progress = [&](const RestoreStats& done) { progress.Update(done.bytes, done.entries); };
    stats = Restore(accessor, path, o.target, o.restore, callbacks);
  }  // the last progress line before the summary
  if (!*context.quiet) {
    std::cerr << "restored " << stats.entries << " entries, " << HumanSize(stats.bytes) << "\n";
  }
  if (stats.skipped) {
    std::cerr << stats.skipped << " entries skipped\n";
    throw ExitStatus{kExitSkipped};
  }
}

}  // namespace

void RegisterRestoreCommand(CLI::App& app, CommandContext& context) {
  auto o = std::make_shared<RestoreCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "restore", "Extract files of a pxar archive (root.pxar[/PATH]) or of an image's ext filesystem with their metadata");
  cmd->add_option("DATASTORE", o->datastore, "datastore directory or PBS datastore name")->required();
  cmd->add_option("SNAPSHOT", o->snapshot, "[ns/NS/...]TYPE/ID/TIME (or TYPE/ID/latest)")->required();
  cmd->add_option("ARCHIVE", o->archive,
                  "file archive, optionally with a path inside it: root.pxar/etc; or a path in a filesystem of\n"
                  "an image, as the mount shows it: drive-scsi0.img.fs/1/etc (partition 1; 0: the whole image)")
      ->required();
  cmd->add_option("TARGET", o->target,
                  "directory to restore into (created if missing); for an image filesystem path, the name the\n"
                  "restored file or directory gets")
      ->required();
  cmd->add_option("--include", o->restore.includes,
                  "restore only paths matching this glob (repeatable; '**' spans directory levels)");
  cmd->add_option("--exclude", o->restore.excludes,
                  "do not restore paths matching this glob (repeatable; '**' spans directory levels)");
  cmd->add_flag("--no-owner", o->no_owner, "do not restore owners (files belong to the caller)");
  cmd->add_flag("--no-xattrs", o->no_xattrs, "do not restore extended attributes and file capabilities");
  cmd->add_flag("--no-acls", o->no_acls, "do not restore POSIX ACLs");
  cmd->add_flag("--overwrite", o->restore.overwrite, "replace existing files (directories are always merged)");
  AddKeyOptions(cmd, o->key);
  AddCacheOptions(cmd, o->cache);
  cmd->footer(std::string(kExitCodeHelp) +
              "\nEntries that would leave TARGET (names with '/', '.', '..'; symlinks pointing outside;\n"
              "hardlinks outside the archive) are refused and listed on stderr; the exit code is then 9.");
  cmd->callback([o, &context] { RunRestore(*o, context); });
}

}  // namespace cairn::cli
