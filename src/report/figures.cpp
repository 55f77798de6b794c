// The plot registry; see figures.h.
#include "report/figures.h"

namespace chop::report {

const std::vector<SectionKind>& section_registry() {
  static const std::vector<SectionKind> table = {
      {"history", "Optimisation history",
       "each trial's value by trial number with the best so far; the front's hypervolume",
       history_section},
      {"pareto", "Pareto front",
       "every trial with values as a point (front, dominated, infeasible, pruned); pairwise "
       "projections for 3+ objectives",
       pareto_section},
      {"importance", "Parameter importance",
       "fANOVA over a random forest, as Optuna's FanovaImportanceEvaluator", importance_section},
      {"slice", "Slice plots", "each parameter's values against each objective", slice_section},
      {"parallel", "Parallel coordinates", "parameters and objectives as axes, a line per trial",
       parallel_section},
      {"learning", "Learning curves", "intermediate values per step, pruned trials marked",
       learning_section},
      {"hardware", "Hardware cost against accuracy",
       "each hardware metric (bit width, BitOPs, model size, ...) against accuracy",
       hardware_section},
  };
  return table;
}

std::vector<Section> build_sections(const ReportContext& ctx) {
  std::vector<Section> out;
  for (const auto& kind : section_registry()) out.push_back(kind.build(ctx));
  return out;
}

}  // namespace chop::report
