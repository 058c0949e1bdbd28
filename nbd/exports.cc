#include "nbd/exports.h"

#include <set>

#include "core/util/error.h"

namespace cairn::nbd {

ExportList::ExportList(std::vector<Export> exports, std::optional<std::string> default_name)
    : exports_(std::move(exports)) {
  if (default_name) {
    default_ = Find(*default_name);
    if (default_ == nullptr || default_name->empty()) {
      throw Error(ErrorKind::kInvalidInput, "--default-export '" + *default_name + "' is not among the exports");
    }
    return;
  }
  std::set<std::string_view> targets;
  for (const Export& e : exports_) targets.insert(e.target);
  if (targets.size() == 1) default_ = &exports_.front();
}

const Export* ExportList::Find(std::string_view name) const {
  if (name.empty()) return default_;
  for (const Export& e : exports_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

}  // namespace cairn::nbd
