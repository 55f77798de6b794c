// The plot registry; see figures.h.
#include "report/figures.h"

namespace chop::report {

const std::vector<SectionKind>& section_registry() {
  static const std::vector<SectionKind> table = {
      {"history", "Optimisation history", history_section},
      {"pareto", "Pareto front", pareto_section},
      {"importance", "Parameter importance", importance_section},
      {"slice", "Slice plots", slice_section},
      {"parallel", "Parallel coordinates", parallel_section},
      {"learning", "Learning curves", learning_section},
      {"hardware", "Hardware cost against accuracy", hardware_section},
  };
  return table;
}

std::vector<Section> build_sections(const ReportContext& ctx) {
  std::vector<Section> out;
  for (const auto& kind : section_registry()) out.push_back(kind.build(ctx));
  return out;
}

}  // namespace chop::report
