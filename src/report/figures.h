// The report's sections and figures: one registry row per kind of plot (history, Pareto front,
// importance, slices, parallel coordinates, learning curves, hardware vs accuracy), each
// building Vega-Lite specs from the study. The HTML page, the dashboard and the SVG export all
// use these same specs.
#pragma once

#include <string>
#include <vector>

#include "report/importance.h"
#include "report/study_data.h"
#include "report/study_summary.h"

namespace chop::report {

struct Figure {
  std::string id;  // file stem of the standalone SVG ("history", "pareto", ...)
  std::string title;
  std::string caption;  // how to read it
  Json spec;            // a complete Vega-Lite spec with its data inline
};

struct Section {
  std::string id;
  std::string title;
  std::string text;                // what the section shows
  std::vector<std::string> notes;  // why something is missing ("no trial reported ...")
  std::vector<Figure> figures;
};

/// A parameter as the charts show it: numeric (int/float) on its own scale, or categorical with
/// its choices as text in declaration order. chop's searches over MASE choice lists suggest the
/// choice's index (an int 0..n-1) and record the lists in the study's user attribute
/// "chop:param_choices" ({param: [choices]}): such a parameter is shown by its choices too.
struct ParamAxis {
  std::string name;
  search::Distribution dist;
  std::vector<std::string> choices;  // categorical or indexed: the choices as text

  /// Shown as choices (categorical, or an index into recorded choices).
  bool by_choice() const { return !choices.empty(); }
};

struct ReportContext {
  const StudyData& study;
  const StudySummary& summary;
  const std::vector<ObjectiveImportance>& importances;
  std::vector<ParamAxis> params;  // every parameter with more than one value, by name
  size_t n_single_params = 0;     // parameters left out: one possible value only
  /// Numeric software and hardware metrics the trials recorded ("software_metrics.accuracy"),
  /// first seen first, at most 12: shown when hovering over a trial.
  std::vector<std::string> metrics;

  ReportContext(const StudyData& s, const StudySummary& sum,
                const std::vector<ObjectiveImportance>& imp);
};

struct SectionKind {
  const char* id;
  const char* title;
  const char* summary;  // for `chop list plots`
  Section (*build)(const ReportContext& ctx);
};

/// The plot registry, in page order.
const std::vector<SectionKind>& section_registry();

/// Every section of the registry for this study.
std::vector<Section> build_sections(const ReportContext& ctx);

// One builder per kind (chart_<kind>.cpp).
Section history_section(const ReportContext& ctx);
Section pareto_section(const ReportContext& ctx);
Section importance_section(const ReportContext& ctx);
Section slice_section(const ReportContext& ctx);
Section parallel_section(const ReportContext& ctx);
Section learning_section(const ReportContext& ctx);
Section hardware_section(const ReportContext& ctx);

}  // namespace chop::report
