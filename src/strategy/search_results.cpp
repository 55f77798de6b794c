// Incremental search results; see search_results.h.
#include "strategy/search_results.h"

#include <algorithm>

#include "core/files.h"
#include "strategy/search_report.h"

namespace chop::strategy {
namespace {

// study_internal.h's marker of a trial answered from an earlier identical configuration.
bool reused(const search::FrozenTrial& t) {
  return t.system_attrs.contains("reused_from");
}

}  // namespace

SearchResults::SearchResults(std::vector<search::Direction> directions, std::string save_dir)
    : directions_(std::move(directions)), save_dir_(std::move(save_dir)) {}

void SearchResults::add(const search::FrozenTrial& t) {
  auto it = rows_.find(t.number);
  if (it != rows_.end() && it->second.state == t.state &&
      it->second.datetime_complete_ms == t.datetime_complete_ms)
    return;
  rows_[t.number] = {t.state, t.datetime_complete_ms, render_log_row(t, multi_objective())};
  add_to_best(t);
}

void SearchResults::add_to_best(const search::FrozenTrial& t) {
  if (t.state != search::TrialState::kComplete || t.values.size() != directions_.size() ||
      reused(t))
    return;
  search::Point p = search::to_loss(t, directions_);
  if (!multi_objective()) {
    // As Study::best_trial: the lowest loss, the lowest trial number among equals.
    if (best_.empty() || p[0] < best_losses_[0][0] ||
        (p[0] == best_losses_[0][0] && t.number < best_[0].number)) {
      best_ = {t};
      best_losses_ = {p};
      ++best_changes_;
    }
    return;
  }
  for (const auto& f : best_losses_)
    if (search::dominates(f, p)) return;
  // Equal points do not dominate each other: ties all stay, as in Study::best_trials.
  for (size_t i = best_.size(); i-- > 0;) {
    if (search::dominates(p, best_losses_[i])) {
      best_.erase(best_.begin() + static_cast<std::ptrdiff_t>(i));
      best_losses_.erase(best_losses_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  best_.push_back(t);
  best_losses_.push_back(std::move(p));
  ++best_changes_;
}

double SearchResults::best_value() const {
  return best_losses_.front()[0] * search::loss_sign(directions_[0]);
}

std::vector<search::FrozenTrial> SearchResults::best() const {
  std::vector<search::FrozenTrial> out = best_;
  std::sort(out.begin(), out.end(), [](const search::FrozenTrial& a, const search::FrozenTrial& b) {
    return a.number < b.number;
  });
  return out;
}

void SearchResults::write() const {
  std::vector<const std::string*> members;
  members.reserve(rows_.size());
  for (const auto& [number, row] : rows_) members.push_back(&row.json);
  write_file_atomic(save_dir_ + "/log.json", json_object_text(members));
  write_file_atomic(save_dir_ + "/best.json", render_best_json(best(), multi_objective()));
}

void SearchResults::write_all(const std::vector<search::FrozenTrial>& all) {
  std::map<int64_t, Row> kept;
  for (const auto& t : all) {
    auto it = rows_.find(t.number);
    if (it == rows_.end() || it->second.state != t.state ||
        it->second.datetime_complete_ms != t.datetime_complete_ms) {
      add(t);
      it = rows_.find(t.number);
    }
    kept[t.number] = std::move(it->second);
  }
  rows_ = std::move(kept);
  write();
}

}  // namespace chop::strategy
