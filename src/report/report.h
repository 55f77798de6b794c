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

}  // namespace chop::report
