// Dominance-based pruner for multi-objective studies with exact hardware objectives.
#include "search/pruners/dominance.h"

#include <cmath>

#include "config/table_reader.h"
#include "core/error.h"
#include "search/pareto.h"
#include "search/pruners/percentile.h"

namespace chop::search {

DominancePruner::DominancePruner(int objective, int64_t n_startup_trials, int64_t n_warmup_steps,
                                 int64_t interval_steps, int64_t min_dominators)
    : objective_(objective),
      n_startup_trials_(n_startup_trials),
      n_warmup_steps_(n_warmup_steps),
      interval_steps_(interval_steps),
      min_dominators_(min_dominators) {
  if (objective < 0) throw ConfigError("pruner.objective", "must be >= 0");
  if (n_startup_trials < 0) throw ConfigError("pruner.n_startup_trials", "must be >= 0");
  if (n_warmup_steps < 0) throw ConfigError("pruner.n_warmup_steps", "must be >= 0");
  if (interval_steps < 1) throw ConfigError("pruner.interval_steps", "must be >= 1");
  if (min_dominators < 1) throw ConfigError("pruner.min_dominators", "must be >= 1");
}

bool DominancePruner::prune(const StudyView& view, FrozenTrial& trial) {
  const size_t m = view.directions.size();
  if (static_cast<size_t>(objective_) >= m)
    throw ConfigError("pruner.objective", "objective index " + std::to_string(objective_) +
                                              " but the study has " + std::to_string(m) +
                                              " objective(s)");
  const auto completed = view.trials_in({TrialState::kComplete});
  if (completed.empty() || static_cast<int64_t>(completed.size()) < n_startup_trials_) return false;
  const auto step = trial.last_step();
  if (!step || *step < n_warmup_steps_) return false;
  if (!is_first_in_interval_step(*step, trial.intermediate_values, n_warmup_steps_,
                                 interval_steps_))
    return false;
  const Direction learned_dir = view.directions[static_cast<size_t>(objective_)];
  const double best = best_intermediate(trial, learned_dir);
  if (std::isnan(best)) return true;  // as Optuna's pruners: a NaN curve is pruned
  Point mine(m);
  const Json exact = trial.system_attrs.value("exact_objectives", Json::object());
  for (size_t k = 0; k < m; ++k) {
    if (static_cast<int>(k) == objective_) {
      mine[k] = best * loss_sign(view.directions[k]);
      continue;
    }
    const std::string key = std::to_string(k);
    if (!exact.contains(key) || !exact[key].is_number()) return false;  // unknown: never prune
    mine[k] = exact[key].get<double>() * loss_sign(view.directions[k]);
  }
  int64_t dominators = 0;
  for (const auto* c : completed) {
    if (c->values.size() != m) continue;
    // The competitor at the same training budget: its best value reported up to this step.
    FrozenTrial upto;
    for (const auto& [s, v] : c->intermediate_values)
      if (s <= *step) upto.intermediate_values[s] = v;
    const double cbest = best_intermediate(upto, learned_dir);
    if (std::isnan(cbest)) continue;
    Point theirs(m);
    for (size_t k = 0; k < m; ++k)
      theirs[k] = (static_cast<int>(k) == objective_ ? cbest : c->values[k]) *
                  loss_sign(view.directions[k]);
    if (dominates(theirs, mine) && ++dominators >= min_dominators_) return true;
  }
  return false;
}

const config::TableDoc& dominance_pruner_options() {
  static const config::TableDoc doc{
      "search.strategy.setup.pruner_options (dominance)",
      "multi-objective: prune when a completed trial dominates",
      {{"objective", "int", Json(0), false, "the objective the intermediate values stand for"},
       {"n_startup_trials", "int", Json(5), false, "completed trials before any pruning"},
       {"n_warmup_steps", "int", Json(0), false, "steps before a trial can be pruned"},
       {"interval_steps", "int", Json(1), false, "check every this many steps"},
       {"min_dominators", "int", Json(1), false, "completed trials that must dominate"}}};
  return doc;
}

std::unique_ptr<Pruner> make_dominance_pruner(const Json& options, const config::Locate& locate) {
  const config::TableReader o(options, dominance_pruner_options(), locate);
  auto p = std::make_unique<DominancePruner>(
      static_cast<int>(o.get_int("objective", 0)), o.get_int("n_startup_trials", 5),
      o.get_int("n_warmup_steps", 0), o.get_int("interval_steps", 1),
      o.get_int("min_dominators", 1));
  return p;
}

}  // namespace chop::search
