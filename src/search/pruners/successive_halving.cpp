// Successive halving (ASHA) pruner, Optuna 3.x semantics.
#include "search/pruners/successive_halving.h"

#include <algorithm>
#include <cmath>

#include "config/table_reader.h"
#include "core/error.h"

namespace chop::search {

SuccessiveHalvingPruner::SuccessiveHalvingPruner(std::optional<int64_t> min_resource,
                                                 int64_t reduction_factor,
                                                 int64_t min_early_stopping_rate,
                                                 int64_t bootstrap_count)
    : min_resource_(min_resource),
      reduction_factor_(reduction_factor),
      min_early_stopping_rate_(min_early_stopping_rate),
      bootstrap_count_(bootstrap_count) {
  if (min_resource && *min_resource < 1)
    throw ConfigError("pruner.min_resource", "must be >= 1 or \"auto\"");
  if (reduction_factor < 2) throw ConfigError("pruner.reduction_factor", "must be >= 2");
  if (min_early_stopping_rate < 0)
    throw ConfigError("pruner.min_early_stopping_rate", "must be >= 0");
  if (bootstrap_count < 0) throw ConfigError("pruner.bootstrap_count", "must be >= 0");
  if (bootstrap_count > 0 && !min_resource)
    throw ConfigError("pruner.bootstrap_count",
                      "bootstrap_count > 0 needs an explicit min_resource (not \"auto\")");
}

bool SuccessiveHalvingPruner::prune(const StudyView& view, FrozenTrial& trial) {
  if (view.multi_objective())
    throw UserError(
        "successive halving needs a single-objective study; use the dominance "
        "pruner for multi-objective searches");
  const auto step = trial.last_step();
  if (!step) return false;
  int64_t rung = 0;
  while (trial.system_attrs.contains("completed_rung_" + std::to_string(rung))) ++rung;
  const double value = trial.intermediate_values.at(*step);
  const Direction dir = view.directions[0];
  for (;;) {
    int64_t min_resource;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!min_resource_) {
        std::optional<int64_t> last;
        for (const auto* t : view.trials)
          if (t->state == TrialState::kComplete && t->last_step())
            last = std::max(last.value_or(0), *t->last_step());
        if (!last) return false;
        min_resource_ = std::max<int64_t>(*last / 100, 1);
      }
      min_resource = *min_resource_;
    }
    double promotion = static_cast<double>(min_resource) *
                       std::pow(static_cast<double>(reduction_factor_),
                                static_cast<double>(min_early_stopping_rate_ + rung));
    if (static_cast<double>(*step) < promotion) return false;
    if (std::isnan(value)) return true;
    const std::string key = "completed_rung_" + std::to_string(rung);
    trial.system_attrs[key] = value;
    std::vector<double> competing;
    for (const auto* t : view.trials) {
      auto it = t->system_attrs.find(key);
      if (it != t->system_attrs.end() && it->is_number()) competing.push_back(it->get<double>());
    }
    competing.push_back(value);
    if (static_cast<int64_t>(competing.size()) <= bootstrap_count_) return true;
    int64_t idx = static_cast<int64_t>(competing.size()) / reduction_factor_ - 1;
    if (idx == -1) idx = 0;
    std::sort(competing.begin(), competing.end());
    const bool promotable =
        dir == Direction::kMaximize
            ? value >= competing[competing.size() - 1 - static_cast<size_t>(idx)]
            : value <= competing[static_cast<size_t>(idx)];
    if (!promotable) return true;
    ++rung;
  }
}

const config::TableDoc& successive_halving_pruner_options() {
  static const config::TableDoc doc{
      "search.strategy.setup.pruner_options (successive_halving)",
      "Optuna's SuccessiveHalvingPruner (ASHA)",
      {{"min_resource", "number|auto", Json("auto"), false,
        "first rung's budget; \"auto\": from the first finished trial"},
       {"reduction_factor", "int", Json(4), false, "keep 1/reduction_factor per rung"},
       {"min_early_stopping_rate", "int", Json(0), false, "skip this many first rungs"},
       {"bootstrap_count", "int", Json(0), false, "trials a rung needs before it prunes"}}};
  return doc;
}

std::unique_ptr<Pruner> make_successive_halving_pruner(const Json& options,
                                                       const config::Locate& locate) {
  const config::TableReader o(options, successive_halving_pruner_options(), locate);
  auto min_resource = o.get_auto_double("min_resource", std::nullopt);
  auto p = std::make_unique<SuccessiveHalvingPruner>(
      min_resource ? std::optional<int64_t>(static_cast<int64_t>(*min_resource)) : std::nullopt,
      o.get_int("reduction_factor", 4), o.get_int("min_early_stopping_rate", 0),
      o.get_int("bootstrap_count", 0));
  return p;
}

}  // namespace chop::search
