// Report files; see report.h.
#include "report/report.h"

#include <filesystem>

#include "core/files.h"
#include "report/page.h"
#include "report/svg_export.h"

namespace chop::report {

ReportFiles write_study_report(const StudyData& study, const ReportOptions& options) {
  namespace fs = std::filesystem;
  const fs::path dir = options.output_dir.empty() ? fs::path(".") : fs::path(options.output_dir);
  make_dirs(dir.string());
  StudyReport report = build_study_report(study, options.importance);
  ReportFiles files;
  files.n_trials = study.trials.size();
  for (const auto& n : report.model["notes"]) files.notes.push_back(n.get<std::string>());
  files.html = (dir / "report.html").string();
  write_file_atomic(files.html, render_page(report.model));

  // plots/ is chop's: it holds exactly this report's figures. An SVG left from an earlier
  // report (another study, or one SVGs could not be drawn for now) would mislead.
  const fs::path plots = dir / "plots";
  std::vector<SvgJob> jobs;
  for (const auto& f : report.figures) jobs.push_back({(plots / (f.id + ".svg")).string(), f.spec});
  std::error_code ec;
  if (fs::is_directory(plots, ec))
    for (const auto& entry : fs::directory_iterator(plots, ec))
      if (entry.path().extension() == ".svg") fs::remove(entry.path(), ec);
  if (!options.svg || jobs.empty()) return files;
  SvgExportResult svg = export_svgs(jobs, options.node);
  files.svgs = svg.written;
  files.svg_note = svg.message;
  return files;
}

}  // namespace chop::report
