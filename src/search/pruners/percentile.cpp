// Percentile / median pruner (Optuna 3.x semantics).
#include "search/pruners/percentile.h"

#include <algorithm>
#include <cmath>

#include "config/table_reader.h"
#include "core/error.h"

namespace chop::search {

double nan_percentile(std::vector<double> values, double percentile) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  const double q = percentile / 100.0;
  // numpy 1.24 _compute_virtual_index with alpha = beta = 1, then _lerp.
  double idx = n * q + (1.0 + q * (1.0 - 1.0 - 1.0)) - 1.0;
  idx = std::min(std::max(idx, 0.0), n - 1.0);
  const double prev = std::floor(idx);
  const double gamma = idx - prev;
  const size_t lo = static_cast<size_t>(prev);
  const size_t hi = std::min(lo + 1, values.size() - 1);
  const double a = values[lo], b = values[hi];
  const double diff = b - a;
  return gamma >= 0.5 ? b - diff * (1.0 - gamma) : a + diff * gamma;
}

bool is_first_in_interval_step(int64_t step, const std::map<int64_t, double>& intermediate,
                               int64_t n_warmup_steps, int64_t interval_steps) {
  const int64_t d = step - n_warmup_steps;
  // Python floor division.
  const int64_t fl = (d >= 0 ? d / interval_steps : -((-d + interval_steps - 1) / interval_steps));
  const int64_t nearest_lower = fl * interval_steps + n_warmup_steps;
  int64_t second_last = -1;
  for (const auto& [s, v] : intermediate)
    if (s > second_last && s != step) second_last = s;
  return second_last < nearest_lower;
}

double best_intermediate(const FrozenTrial& t, Direction d) {
  double best = NAN;
  for (const auto& [s, v] : t.intermediate_values) {
    if (std::isnan(v)) continue;
    if (std::isnan(best) || (d == Direction::kMinimize ? v < best : v > best)) best = v;
  }
  return best;
}

PercentilePruner::PercentilePruner(double percentile, int64_t n_startup_trials,
                                   int64_t n_warmup_steps, int64_t interval_steps,
                                   int64_t n_min_trials)
    : percentile_(percentile),
      n_startup_trials_(n_startup_trials),
      n_warmup_steps_(n_warmup_steps),
      interval_steps_(interval_steps),
      n_min_trials_(n_min_trials) {
  if (!(percentile >= 0.0 && percentile <= 100.0))
    throw ConfigError("pruner.percentile", "must be between 0 and 100");
  if (n_startup_trials < 0) throw ConfigError("pruner.n_startup_trials", "must be >= 0");
  if (n_warmup_steps < 0) throw ConfigError("pruner.n_warmup_steps", "must be >= 0");
  if (interval_steps < 1) throw ConfigError("pruner.interval_steps", "must be >= 1");
  if (n_min_trials < 1) throw ConfigError("pruner.n_min_trials", "must be >= 1");
}

bool PercentilePruner::prune(const StudyView& view, FrozenTrial& trial) {
  if (view.multi_objective())
    throw UserError("the " + name() +
                    " pruner needs a single-objective study; use the dominance pruner for "
                    "multi-objective searches");
  const auto completed = view.trials_in({TrialState::kComplete});
  const auto n = static_cast<int64_t>(completed.size());
  if (n == 0 || n < n_startup_trials_) return false;
  const auto step = trial.last_step();
  if (!step || *step < n_warmup_steps_) return false;
  if (!is_first_in_interval_step(*step, trial.intermediate_values, n_warmup_steps_,
                                 interval_steps_))
    return false;
  const Direction dir = view.directions[0];
  const double best = best_intermediate(trial, dir);
  if (std::isnan(best)) return true;
  std::vector<double> at_step;
  for (const auto* t : completed) {
    auto it = t->intermediate_values.find(*step);
    if (it != t->intermediate_values.end()) at_step.push_back(it->second);
  }
  if (static_cast<int64_t>(at_step.size()) < n_min_trials_) return false;
  const double p = nan_percentile(std::move(at_step),
                                  dir == Direction::kMaximize ? 100.0 - percentile_ : percentile_);
  if (std::isnan(p)) return false;
  return dir == Direction::kMaximize ? best < p : best > p;
}

const config::TableDoc& median_pruner_options() {
  static const config::TableDoc doc{
      "search.strategy.setup.pruner_options (median)",
      "Optuna's MedianPruner",
      {{"n_startup_trials", "int", 5, false, "completed trials before any pruning"},
       {"n_warmup_steps", "int", 0, false, "steps before a trial can be pruned"},
       {"interval_steps", "int", 1, false, "check every this many steps"},
       {"n_min_trials", "int", 1, false, "trials reporting at a step before it is judged"}}};
  return doc;
}

const config::TableDoc& percentile_pruner_options() {
  static const config::TableDoc doc{
      "search.strategy.setup.pruner_options (percentile)",
      "Optuna's PercentilePruner",
      {{"percentile", "number", nullptr, false, "required: the percentile to keep (0-100)"},
       {"n_startup_trials", "int", 5, false, "completed trials before any pruning"},
       {"n_warmup_steps", "int", 0, false, "steps before a trial can be pruned"},
       {"interval_steps", "int", 1, false, "check every this many steps"},
       {"n_min_trials", "int", 1, false, "trials reporting at a step before it is judged"}}};
  return doc;
}

namespace {
std::unique_ptr<Pruner> make(const Json& options, bool median, const config::Locate& locate) {
  const config::TableReader o(
      options, median ? median_pruner_options() : percentile_pruner_options(), locate);
  if (!median && !o.has("percentile"))
    throw ConfigError(o.locate("percentile"), "required: the percentile to keep (0-100)");
  const double percentile = median ? 50.0 : o.get_double("percentile", 50.0);
  return std::make_unique<PercentilePruner>(
      percentile, o.get_int("n_startup_trials", 5), o.get_int("n_warmup_steps", 0),
      o.get_int("interval_steps", 1), o.get_int("n_min_trials", 1));
}
}  // namespace

std::unique_ptr<Pruner> make_median_pruner(const Json& options, const config::Locate& locate) {
  return make(options, true, locate);
}
std::unique_ptr<Pruner> make_percentile_pruner(const Json& options, const config::Locate& locate) {
  return make(options, false, locate);
}

}  // namespace chop::search
