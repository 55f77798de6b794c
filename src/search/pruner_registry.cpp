// The pruner table (names match Optuna's classes; matching ignores case, '-' and '_').
#include <cctype>

#include "core/error.h"
#include "core/strings.h"
#include "search/options.h"
#include "search/pruner.h"
#include "search/pruners/dominance.h"
#include "search/pruners/hyperband.h"
#include "search/pruners/percentile.h"
#include "search/pruners/successive_halving.h"
#include "search/sampler_registry.h"

namespace chop::search {
namespace {

class NopPruner : public Pruner {
 public:
  std::string name() const override { return "nop"; }
  bool prune(const StudyView&, FrozenTrial&) override { return false; }
};

std::unique_ptr<Pruner> make_nop_pruner(const Json& options) {
  Options o(options, "pruner options (nop)");
  o.finish();
  return std::make_unique<NopPruner>();
}

}  // namespace

const std::vector<PrunerInfo>& pruner_registry() {
  static const std::vector<PrunerInfo> table = {
      {"nop", {"none"}, "never prunes", "", make_nop_pruner},
      {"median",
       {},
       "prune below the median of completed trials at the same step",
       "n_startup_trials (5), n_warmup_steps (0), interval_steps (1), n_min_trials (1)",
       make_median_pruner},
      {"percentile",
       {},
       "prune below a percentile of completed trials at the same step",
       "percentile (required), n_startup_trials (5), n_warmup_steps (0), interval_steps (1), "
       "n_min_trials (1)",
       make_percentile_pruner},
      {"successive_halving",
       {"sha", "asha", "successivehalving"},
       "asynchronous successive halving (ASHA)",
       "min_resource (\"auto\"), reduction_factor (4), min_early_stopping_rate (0), "
       "bootstrap_count (0)",
       make_successive_halving_pruner},
      {"hyperband",
       {},
       "Hyperband: successive-halving brackets",
       "min_resource (1), max_resource (\"auto\"), reduction_factor (3), bootstrap_count (0)",
       make_hyperband_pruner},
      {"dominance",
       {"pareto"},
       "multi-objective: prune when a completed trial dominates (value so far, exact objectives)",
       "objective (0), n_startup_trials (5), n_warmup_steps (0), interval_steps (1), "
       "min_dominators (1)",
       make_dominance_pruner},
  };
  return table;
}

const PrunerInfo* find_pruner(const std::string& name) {
  const std::string n = normalize_sampler_name(name);
  for (const auto& info : pruner_registry()) {
    if (normalize_sampler_name(info.name) == n) return &info;
    for (const auto& a : info.aliases)
      if (normalize_sampler_name(a) == n) return &info;
  }
  return nullptr;
}

std::vector<std::string> pruner_names() {
  std::vector<std::string> out;
  for (const auto& info : pruner_registry()) out.push_back(info.name);
  return out;
}

std::unique_ptr<Pruner> make_pruner(const std::string& name, const Json& options) {
  const PrunerInfo* info = find_pruner(name);
  if (!info)
    throw UserError("unknown pruner '" + name + "'" + did_you_mean(name, pruner_names()) +
                    "; available: " + list_of(pruner_names()));
  return info->factory(options);
}

}  // namespace chop::search
