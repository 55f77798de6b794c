// Report files; see report.h.
#include "report/report.h"

#include <algorithm>
#include <filesystem>

#include "core/files.h"
#include "report/comparison.h"
#include "report/page.h"
#include "report/svg_export.h"

namespace chop::report {

namespace {

// report.html and plots/*.svg of a built report.
ReportFiles write_report_files(const StudyReport& report, const ReportOptions& options) {
  namespace fs = std::filesystem;
  const fs::path dir = options.output_dir.empty() ? fs::path(".") : fs::path(options.output_dir);
  make_dirs(dir.string());
  ReportFiles files;
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

}  // namespace

ReportFiles write_study_report(const StudyData& study, const ReportOptions& options) {
  ReportFiles files = write_report_files(build_study_report(study, options.importance), options);
  files.n_trials = study.trials.size();
  return files;
}

ReportFiles write_comparison_report(const ComparisonData& data, const ReportOptions& options) {
  ReportFiles files = write_report_files(build_comparison_report(data), options);
  for (const auto& run : data.runs) files.n_trials += run.study.trials.size();
  return files;
}

ReportTarget pick_report_target(search::Storage& storage, const std::string& requested) {
  const std::vector<std::string> groups = comparison_groups(storage);
  if (!requested.empty()) {
    if (std::find(groups.begin(), groups.end(), requested) != groups.end())
      return {true, requested};
    return {false, pick_study(storage, requested)};
  }
  if (groups.size() == 1) {
    bool all_in_group = true;
    for (const auto& name : storage.study_names()) {
      const auto id = storage.study_id_from_name(name);
      const Json attrs = id ? storage.study_user_attrs(*id) : Json::object();
      all_in_group &= attrs.contains(kComparisonAttr) &&
                      attrs[kComparisonAttr].value("group", std::string()) == groups[0];
    }
    if (all_in_group) return {true, groups[0]};
  }
  return {false, pick_study(storage, requested)};
}

}  // namespace chop::report
