// cairn cat DATASTORE SNAPSHOT FILE: a decoded blob, or a whole image or archive stream.
#include <unistd.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/read/archive_reader.h"
#include "core/store/snapshot_reader.h"
#include "core/util/file.h"

namespace cairn::cli {
namespace {

struct CatOptions {
  std::string datastore;
  std::string snapshot;
  std::string file;
  KeyOptions key;
  CacheOptions cache;
};

void WriteStdout(ByteView data) { WriteFull(STDOUT_FILENO, data, "standard output"); }

// Whole images and archive streams go through the chunk cache, whose read-ahead keeps
// chunks fetched and decoded on all cores while earlier ones are written out.
void StreamArchive(const SnapshotReader& reader, const std::string& name, const CatOptions& o) {
  ChunkCache cache(o.cache.chunk_cache());
  std::unique_ptr<IndexReader> archive = OpenArchiveReader(reader, name, cache, ReadOptions{o.cache.readahead});
  Bytes buffer(4 << 20);
  for (uint64_t offset = 0; offset < archive->size();) {
    size_t n = archive->Read(offset, buffer);
    WriteStdout(ByteView(buffer).first(n));
    offset += n;
  }
}

void RunCat(const CatOptions& o) {
  Datastore ds = OpenDatastore(o.datastore);
  std::unique_ptr<CryptConfig> crypt = LoadKey(o.key);
  Snapshot snapshot = ds.ResolveSnapshot(ParseDatastorePath(o.snapshot));
  SnapshotReader reader(ds, snapshot, crypt.get());
  std::string name = reader.ResolveFileName(o.file);
  switch (*ArchiveKindOf(name)) {
    case ArchiveKind::kBlob: return WriteStdout(reader.ReadBlob(name));
    case ArchiveKind::kFixedIndex:
    case ArchiveKind::kDynamicIndex: return StreamArchive(reader, name, o);
  }
}

}  // namespace

void RegisterCatCommand(CLI::App& app, CommandContext&) {
  auto o = std::make_shared<CatOptions>();
  CLI::App* cmd = app.add_subcommand("cat", "Write a decoded blob, or a whole image or archive stream, to stdout");
  cmd->add_option("DATASTORE", o->datastore, "datastore directory or PBS datastore name")->required();
  cmd->add_option("SNAPSHOT", o->snapshot, "[ns/NS/...]TYPE/ID/TIME (or TYPE/ID/latest)")->required();
  cmd->add_option("FILE", o->file, "file as named in the manifest, with or without .fidx/.didx/.blob")->required();
  AddKeyOptions(cmd, o->key);
  AddCacheOptions(cmd, o->cache);
  cmd->footer(kExitCodeHelp);
  cmd->callback([o] { RunCat(*o); });
}

}  // namespace cairn::cli
