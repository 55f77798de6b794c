// The pruner table (names match Optuna's classes; the registry spelling rule applies).
#include "core/error.h"
#include "core/strings.h"
#include "search/pruner.h"
#include "search/pruners/dominance.h"
#include "search/pruners/hyperband.h"
#include "search/pruners/percentile.h"
#include "search/pruners/successive_halving.h"

namespace chop::search {
namespace {

class NopPruner : public Pruner {
 public:
  std::string name() const override { return "nop"; }
  bool prune(const StudyView&, FrozenTrial&) override { return false; }
};

const config::TableDoc& nop_pruner_options() {
  static const config::TableDoc doc{"search.strategy.setup.pruner_options (nop)", "no options", {}};
  return doc;
}

std::unique_ptr<Pruner> make_nop_pruner(const Json& options, const config::Locate& locate) {
  const config::TableReader o(options, nop_pruner_options(), locate);
  return std::make_unique<NopPruner>();
}

}  // namespace

const Registry<PrunerInfo>& pruner_registry() {
  static const Registry<PrunerInfo> table{
      {"pruner", "pruners", "chop list pruners"},
      {
          {"nop", {"none"}, "never prunes", &nop_pruner_options(), make_nop_pruner},
          {"median",
           {},
           "prune below the median of completed trials at the same step",
           &median_pruner_options(),
           make_median_pruner},
          {"percentile",
           {},
           "prune below a percentile of completed trials at the same step",
           &percentile_pruner_options(),
           make_percentile_pruner},
          {"successive_halving",
           {"sha", "asha"},
           "asynchronous successive halving (ASHA)",
           &successive_halving_pruner_options(),
           make_successive_halving_pruner},
          {"hyperband",
           {},
           "Hyperband: successive-halving brackets",
           &hyperband_pruner_options(),
           make_hyperband_pruner},
          {"dominance",
           {"pareto"},
           "multi-objective: prune when a completed trial dominates (value so far, exact "
           "objectives)",
           &dominance_pruner_options(),
           make_dominance_pruner},
      }};
  ;
  return table;
}

const PrunerInfo* find_pruner(const std::string& name) {
  return pruner_registry().find(name);
}

std::vector<std::string> pruner_names() {
  return pruner_registry().names();
}

std::unique_ptr<Pruner> make_pruner(const std::string& name, const Json& options,
                                    const config::Locate& locate) {
  return pruner_registry().get(name).factory(options, locate);
}

}  // namespace chop::search
