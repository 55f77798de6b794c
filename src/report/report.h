// Writing a study's report: report.html (self-contained) and plots/<figure>.svg, each file
// replaced atomically. Used by `chop report` and at the end of `chop search`.
#pragma once

#include <string>
#include <vector>

#include "report/importance.h"
#include "report/study_data.h"

namespace chop::report {

struct ReportOptions {
  std::string output_dir;  // report.html and plots/ go here (created if missing)
  bool svg = true;         // also write plots/*.svg (needs node)
  std::string node;        // node executable; "" = find_node()
  ImportanceOptions importance;
};

struct ReportFiles {
  std::string html;               // path of report.html
  std::vector<std::string> svgs;  // written SVG files
  std::string svg_note;           // why SVGs are missing or incomplete ("" when all written)
  size_t n_trials = 0;
  std::vector<std::string> notes;  // the study's notes (empty study, all failed, ...)
};

ReportFiles write_study_report(const StudyData& study, const ReportOptions& options);

struct ComparisonData;
/// The sampler comparison's report.html and plots/*.svg.
ReportFiles write_comparison_report(const ComparisonData& data, const ReportOptions& options);

/// What `chop report` draws for a storage and an optional --study NAME: a sampler comparison
/// when NAME is a comparison group, or when no NAME is given and every study of the storage
/// belongs to one comparison; otherwise the study pick_study() chooses.
struct ReportTarget {
  bool comparison = false;
  std::string name;  // study or comparison group
};
ReportTarget pick_report_target(search::Storage& storage, const std::string& requested);

}  // namespace chop::report
