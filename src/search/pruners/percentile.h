// Optuna's PercentilePruner and MedianPruner (= 50th percentile), with Optuna 3.x semantics:
// prune when the trial's best intermediate value is worse than the given percentile of the
// values COMPLETE trials reported at the same step.
#pragma once

#include "config/table_reader.h"

#include <memory>

#include "search/pruner.h"

namespace chop::search {

class PercentilePruner : public Pruner {
 public:
  PercentilePruner(double percentile, int64_t n_startup_trials = 5, int64_t n_warmup_steps = 0,
                   int64_t interval_steps = 1, int64_t n_min_trials = 1);
  std::string name() const override { return percentile_ == 50.0 ? "median" : "percentile"; }
  bool prune(const StudyView& view, FrozenTrial& trial) override;

 private:
  double percentile_;
  int64_t n_startup_trials_, n_warmup_steps_, interval_steps_, n_min_trials_;
};

/// numpy's nanpercentile (linear interpolation), bit-compatible with numpy 1.24.
double nan_percentile(std::vector<double> values, double percentile);
/// Optuna's interval gating: true if `step` is the first report in its pruning window.
bool is_first_in_interval_step(int64_t step, const std::map<int64_t, double>& intermediate,
                               int64_t n_warmup_steps, int64_t interval_steps);
/// Best intermediate value (nanmin / nanmax); NaN when all are NaN.
double best_intermediate(const FrozenTrial& t, Direction d);

const config::TableDoc& median_pruner_options();
const config::TableDoc& percentile_pruner_options();
std::unique_ptr<Pruner> make_median_pruner(const Json& options, const config::Locate& locate = {});
std::unique_ptr<Pruner> make_percentile_pruner(const Json& options,
                                               const config::Locate& locate = {});

}  // namespace chop::search
