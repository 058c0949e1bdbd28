#include "nbd/exports.h"

#include <set>

#include "core/util/error.h"
#include "core/util/log.h"

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

ExportCatalog::ExportCatalog(Lister list, std::optional<std::string> default_name, Clock::duration max_age)
    : list_(std::move(list)),
      default_name_(std::move(default_name)),
      max_age_(max_age),
      current_(std::make_shared<const ExportList>(list_(), default_name_)),
      listed_at_(Clock::now()) {}

std::shared_ptr<const ExportList> ExportCatalog::Peek() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::shared_ptr<const ExportList> ExportCatalog::Current() {
  std::lock_guard relist_lock(relist_mu_);
  {
    std::lock_guard lock(mu_);
    if (max_age_ == Clock::duration::max() || Clock::now() - listed_at_ < max_age_) return current_;
  }
  std::shared_ptr<const ExportList> fresh;
  try {
    fresh = std::make_shared<const ExportList>(list_(), default_name_);
  } catch (const std::exception& e) {
    Log(LogLevel::kWarning, std::string("nbd: relisting the exports failed, keeping the previous list: ") + e.what());
  }
  std::lock_guard lock(mu_);
  listed_at_ = Clock::now();  // a failure is not retried at once either
  if (fresh != nullptr) {
    if (fresh->all().size() != current_->all().size()) {
      Log(LogLevel::kInfo, "nbd: now serving " + std::to_string(fresh->all().size()) + " exports");
    }
    current_ = std::move(fresh);
  }
  return current_;
}

}  // namespace cairn::nbd
