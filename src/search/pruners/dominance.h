// DominancePruner: pruning for multi-objective studies whose other objectives are exact before
// training ends (BitOPs, model size, ...). A trial reports its learned objective with
// report(step, value) and its exact ones with Trial::set_exact_objectives. At a checked step s
// the trial's vector (best reported value so far, exact objectives) is compared with every
// COMPLETE trial's vector (its best value reported at steps <= s, its final values for the other
// objectives); the trial is pruned when at least `min_dominators` of them dominate it.
// docs/search-engine.md gives the exact rule.
#pragma once

#include "config/table_reader.h"

#include <memory>

#include "search/pruner.h"

namespace chop::search {

class DominancePruner : public Pruner {
 public:
  DominancePruner(int objective = 0, int64_t n_startup_trials = 5, int64_t n_warmup_steps = 0,
                  int64_t interval_steps = 1, int64_t min_dominators = 1);
  std::string name() const override { return "dominance"; }
  bool prune(const StudyView& view, FrozenTrial& trial) override;

 private:
  int objective_;
  int64_t n_startup_trials_, n_warmup_steps_, interval_steps_, min_dominators_;
};

const config::TableDoc& dominance_pruner_options();
std::unique_ptr<Pruner> make_dominance_pruner(const Json& options,
                                              const config::Locate& locate = {});

}  // namespace chop::search
