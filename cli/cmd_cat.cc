// cairn cat DATASTORE SNAPSHOT FILE: a decoded blob, or a whole image or archive stream.
#include <unistd.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/format/blob.h"
#include "core/store/snapshot_reader.h"
#include "core/util/file.h"
#include "core/util/hex.h"

namespace cairn::cli {
namespace {

struct CatOptions {
  std::string datastore;
  std::string snapshot;
  std::string file;
  KeyOptions key;
};

void WriteStdout(ByteView data) { WriteFull(STDOUT_FILENO, data, "standard output"); }

template <typename Index>
void StreamIndex(const SnapshotReader& reader, const std::string& name, const Index& index) {
  const CryptConfig* crypt = reader.CryptFor(*reader.manifest().Find(name));
  const ChunkStore& store = *reader.datastore().chunk_store();
  for (size_t i = 0; i < index.chunk_count(); ++i) {
    const Digest& digest = index.digest(i);
    try {
      WriteStdout(DecodeChunk(store.Fetch(digest), digest, index.chunk_length(i), crypt));
    } catch (const Error& e) {
      throw e.WithContext(reader.Describe(name) + " at offset " + std::to_string(index.chunk_offset(i)) + ", chunk " +
                          ToHex(digest));
    }
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
    case ArchiveKind::kFixedIndex: return StreamIndex(reader, name, reader.OpenFixedIndex(name));
    case ArchiveKind::kDynamicIndex: return StreamIndex(reader, name, reader.OpenDynamicIndex(name));
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
  cmd->footer(kExitCodeHelp);
  cmd->callback([o] { RunCat(*o); });
}

}  // namespace cairn::cli
