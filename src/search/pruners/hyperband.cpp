// Hyperband pruner, Optuna 3.x semantics.
#include "search/pruners/hyperband.h"

#include <cmath>

#include "config/table_reader.h"
#include "core/error.h"

namespace chop::search {

uint32_t crc32(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

HyperbandPruner::HyperbandPruner(int64_t min_resource, std::optional<int64_t> max_resource,
                                 int64_t reduction_factor, int64_t bootstrap_count)
    : min_resource_(min_resource),
      max_resource_(max_resource),
      reduction_factor_(reduction_factor),
      bootstrap_count_(bootstrap_count) {
  if (min_resource < 1) throw ConfigError("pruner.min_resource", "must be >= 1");
  if (max_resource && *max_resource < min_resource)
    throw ConfigError("pruner.max_resource", "must be >= min_resource");
  if (reduction_factor < 2) throw ConfigError("pruner.reduction_factor", "must be >= 2");
  if (bootstrap_count > 0 && !max_resource)
    throw ConfigError("pruner.bootstrap_count",
                      "bootstrap_count > 0 and max_resource = \"auto\" are mutually incompatible");
}

bool HyperbandPruner::try_init(const StudyView& view) {
  if (!pruners_.empty()) return true;
  if (!max_resource_) {
    std::optional<int64_t> last;
    for (const auto* t : view.trials)
      if (t->state == TrialState::kComplete && t->last_step())
        last = std::max(last.value_or(*t->last_step()), *t->last_step());
    if (!last) return false;
    max_resource_ = *last + 1;
  }
  const int n = static_cast<int>(std::floor(std::log(static_cast<double>(*max_resource_) /
                                                     static_cast<double>(min_resource_)) /
                                            std::log(static_cast<double>(reduction_factor_)))) +
                1;
  for (int b = 0; b < n; ++b) {
    const int s = n - 1 - b;
    const auto budget = static_cast<int64_t>(
        std::ceil(n * std::pow(static_cast<double>(reduction_factor_), s) / (s + 1)));
    budgets_.push_back(budget);
    total_budget_ += budget;
    pruners_.push_back(std::make_unique<SuccessiveHalvingPruner>(min_resource_, reduction_factor_,
                                                                 b, bootstrap_count_));
  }
  return true;
}

int HyperbandPruner::n_brackets() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(pruners_.size());
}

int HyperbandPruner::bracket_of(const std::string& study_name, int64_t number) const {
  if (pruners_.empty()) return 0;
  int64_t n = static_cast<int64_t>(crc32(study_name + "_" + std::to_string(number)) %
                                   static_cast<uint64_t>(total_budget_));
  for (size_t b = 0; b < budgets_.size(); ++b) {
    n -= budgets_[b];
    if (n < 0) return static_cast<int>(b);
  }
  return static_cast<int>(budgets_.size()) - 1;
}

bool HyperbandPruner::prune(const StudyView& view, FrozenTrial& trial) {
  SuccessiveHalvingPruner* sh;
  StudyView bracket_view;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!try_init(view)) return false;
    const int b = bracket_of(view.study_name, trial.number);
    sh = pruners_[static_cast<size_t>(b)].get();
    bracket_view.study_name = view.study_name;
    bracket_view.directions = view.directions;
    bracket_view.seed = view.seed;
    bracket_view.number = view.number;
    for (const auto* t : view.trials)
      if (bracket_of(view.study_name, t->number) == b) bracket_view.trials.push_back(t);
  }
  return sh->prune(bracket_view, trial);
}

void HyperbandPruner::filter_for_sampler(StudyView& view, const FrozenTrial& trial) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (pruners_.empty()) return;
  const int b = bracket_of(view.study_name, trial.number);
  std::vector<const FrozenTrial*> kept;
  for (const auto* t : view.trials)
    if (bracket_of(view.study_name, t->number) == b) kept.push_back(t);
  view.trials = std::move(kept);
}

const config::TableDoc& hyperband_pruner_options() {
  static const config::TableDoc doc{
      "search.strategy.setup.pruner_options (hyperband)",
      "Optuna's HyperbandPruner",
      {{"min_resource", "int", Json(1), false, "smallest budget (steps) of a bracket"},
       {"max_resource", "number|auto", Json("auto"), false,
        "largest budget; \"auto\": from the first finished trial"},
       {"reduction_factor", "int", Json(3), false, "keep 1/reduction_factor per rung"},
       {"bootstrap_count", "int", Json(0), false, "must be 0 with hyperband"}}};
  return doc;
}

std::unique_ptr<Pruner> make_hyperband_pruner(const Json& options, const config::Locate& locate) {
  const config::TableReader o(options, hyperband_pruner_options(), locate);
  const int64_t min_resource = o.get_int("min_resource", 1);
  auto max_resource = o.get_auto_double("max_resource", std::nullopt);
  auto p = std::make_unique<HyperbandPruner>(
      min_resource,
      max_resource ? std::optional<int64_t>(static_cast<int64_t>(*max_resource)) : std::nullopt,
      o.get_int("reduction_factor", 3), o.get_int("bootstrap_count", 0));
  return p;
}

}  // namespace chop::search
