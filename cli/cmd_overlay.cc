// cairn overlay export DIR OUT.img: the merged image of a copy-on-write overlay made by
// `cairn nbd --overlay DIR` (issue 5): the base image from the datastore with the overlay's
// writes applied, written as a sparse file.
#include <filesystem>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "core/cache/chunk_cache.h"
#include "core/overlay/overlay_dir.h"
#include "core/overlay/overlay_source.h"
#include "core/read/sparse_copy.h"
#include "nbd/datastore_exports.h"

namespace cairn::cli {
namespace {

struct OverlayExportOptions {
  std::string dir;
  std::string out;
  std::string export_name;
  std::string datastore;
  KeyOptions key;
};

// The stem of the overlay to export: the one named by --export, else the only one.
std::filesystem::path SelectOverlay(const OverlayDir& dir, const std::string& export_name) {
  std::vector<std::filesystem::path> stems = dir.List();
  if (!export_name.empty()) {
    std::filesystem::path stem = dir.path() / OverlayDir::FileStem(export_name);
    if (std::find(stems.begin(), stems.end(), stem) == stems.end()) {
      throw Error(ErrorKind::kNotFound, "no overlay for " + export_name + " in " + dir.path().string());
    }
    return stem;
  }
  if (stems.size() == 1) return stems.front();
  std::string names;
  for (const auto& stem : stems) names += "\n  " + Overlay::ReadInfo(stem).export_name;
  throw Error(ErrorKind::kInvalidInput, dir.path().string() + " holds " + std::to_string(stems.size()) +
                                            " overlays; choose one with --export" + names);
}

void RunOverlayExport(const OverlayExportOptions& o, const CommandContext& context) {
  if (!std::filesystem::is_directory(o.dir))
    throw Error(ErrorKind::kNotFound, "no overlay directory " + o.dir);
  OverlayDir dir(o.dir);  // locked: no server may write while we read
  std::shared_ptr<Overlay> overlay = Overlay::OpenReadOnly(SelectOverlay(dir, o.export_name));
  const OverlayInfo& info = overlay->info();

  Datastore ds = OpenDatastore(o.datastore.empty() ? info.datastore : o.datastore);
  std::unique_ptr<CryptConfig> crypt = LoadKey(o.key);
  ChunkCache cache(ChunkCacheOptions{});
  std::vector<nbd::Export> exports =
      nbd::ListDatastoreExports(ds, crypt.get(), cache, nbd::DatastoreExportOptions{{info.export_name}, {}});
  auto base = std::find_if(exports.begin(), exports.end(),
                           [&](const nbd::Export& e) { return e.name == info.export_name; });
  if (base == exports.end()) {
    throw Error(ErrorKind::kNotFound,
                "the overlay's base image " + info.export_name + " is not in " + ds.root().string());
  }
  if (base->size != info.size || base->base_id != info.base_id) {
    throw Error(ErrorKind::kInvalidInput,
                "the base image " + info.export_name + " has changed since the overlay was made (" +
                    "index checksum " + base->base_id + ", overlay made over " + info.base_id + ")");
  }
  OverlaySource source(overlay, base->open());
  SparseCopyStats stats;
  {
    Progress progress("overlay export", info.size, !*context.quiet);
    stats = CopyToSparseFile(source, o.out, [&progress](uint64_t done) { progress.Update(done); });
  }
  if (!*context.quiet) {
    std::cout << "wrote " << info.export_name << " with its overlay to " << o.out << ": " << stats.size
              << " bytes, " << stats.written_bytes << " of them data" << std::endl;
  }
}

}  // namespace

void RegisterOverlayCommand(CLI::App& app, CommandContext& context) {
  CLI::App* overlay =
      app.add_subcommand("overlay", "Work with copy-on-write overlays of `cairn nbd --overlay`");
  overlay->require_subcommand(1);
  auto o = std::make_shared<OverlayExportOptions>();
  CLI::App* cmd =
      overlay->add_subcommand("export", "Write an image with its overlay's changes applied (sparse)");
  cmd->add_option("OVERLAY", o->dir, "the --overlay directory of `cairn nbd`")->required();
  cmd->add_option("OUT", o->out, "the image file to write (created, or a regular file replaced once the copy is complete)")->required();
  cmd->add_option("--export", o->export_name,
                  "the image whose overlay to export (needed when OVERLAY holds several)");
  cmd->add_option("--datastore", o->datastore,
                  "the base datastore (default: the one recorded in the overlay)");
  AddKeyOptions(cmd, o->key);
  cmd->footer(
      std::string(
          "The overlay directory is locked: stop the `cairn nbd` using it first. The base image must\n"
          "be unchanged (same index checksum) since the overlay was made.\n") +
      kExitCodeHelp);
  cmd->callback([o, &context] { RunOverlayExport(*o, context); });
}

}  // namespace cairn::cli
