// Best-trial export for chop search; see best_export.h.
#include "strategy/best_export.h"

#include <set>

#include "core/log.h"
#include "interop/export.h"

namespace chop::strategy {

BestExporter::BestExporter(std::string format) : format_(std::move(format)) {
  interop::export_format(format_);  // unknown -> UserError listing the formats
}

void BestExporter::keep(int64_t number, graph::Graph g) {
  std::lock_guard<std::mutex> lock(mu_);
  kept_[number] = std::move(g);
}

void BestExporter::retain_only(const std::vector<search::FrozenTrial>& best, int64_t finished) {
  std::set<int64_t> front;
  for (const auto& t : best) front.insert(t.number);
  std::lock_guard<std::mutex> lock(mu_);
  ranked_.insert(finished);
  for (auto it = kept_.begin(); it != kept_.end();) {
    if (ranked_.count(it->first) && !front.count(it->first))
      it = kept_.erase(it);
    else
      ++it;
  }
}

std::vector<std::string> BestExporter::write(
    const std::vector<search::FrozenTrial>& best, const std::string& dir,
    const std::function<graph::Graph(const search::FrozenTrial&)>& rebuild) {
  const interop::ExportFormat& format = interop::export_format(format_);
  std::vector<std::string> paths;
  for (const auto& t : best) {
    const std::string path = dir + "/trial_" + std::to_string(t.number) + format.extension;
    auto it = kept_.find(t.number);
    if (it == kept_.end()) {
      log_info("trial " + std::to_string(t.number) +
               " ran in an earlier session: rebuilding it for --export-best");
      graph::Graph g = rebuild(t);
      format.write(g, path);
    } else {
      format.write(it->second, path);
    }
    paths.push_back(path);
  }
  return paths;
}

}  // namespace chop::strategy
