// Optuna's SuccessiveHalvingPruner (asynchronous SH / ASHA), 3.x semantics: rung r is reached at
// step min_resource * eta^(min_early_stopping_rate + r); the trial's value there is stored as
// system attr completed_rung_<r> and must be in the top 1/eta of everything recorded at that
// rung (the best, for the first eta - 1 arrivals) to go on.
#pragma once

#include "config/table_reader.h"

#include <memory>
#include <mutex>
#include <optional>

#include "search/pruner.h"

namespace chop::search {

class SuccessiveHalvingPruner : public Pruner {
 public:
  /// min_resource nullopt = "auto": max(1, (largest last step of COMPLETE trials) / 100),
  /// fixed the first time it can be computed (nothing is pruned before a trial completes).
  SuccessiveHalvingPruner(std::optional<int64_t> min_resource = std::nullopt,
                          int64_t reduction_factor = 4, int64_t min_early_stopping_rate = 0,
                          int64_t bootstrap_count = 0);
  std::string name() const override { return "successive_halving"; }
  bool prune(const StudyView& view, FrozenTrial& trial) override;

 private:
  std::mutex mu_;
  std::optional<int64_t> min_resource_;
  int64_t reduction_factor_, min_early_stopping_rate_, bootstrap_count_;
};

const config::TableDoc& successive_halving_pruner_options();
std::unique_ptr<Pruner> make_successive_halving_pruner(const Json& options,
                                                       const config::Locate& locate = {});

}  // namespace chop::search
