// `chop report --storage STUDY.db [--study NAME] [--output DIR]`: a study's (or a sampler
// comparison's) report.html and plots/*.svg (the work is in src/report/).
#include <iostream>

#include "cli/action.h"
#include "core/error.h"
#include "core/log.h"
#include "report/comparison.h"
#include "report/report.h"

namespace chop::cli {

std::string report_storage_arg(ActionContext& ctx, const std::string& action) {
  std::string url = ctx.extra.value("storage", std::string());
  if (url.empty() && ctx.words.size() == 1)
    url = ctx.words[0];
  else if (!ctx.words.empty())
    throw UserError("chop " + action + " takes no positional arguments besides the storage; got '" +
                    ctx.words.back() + "'");
  if (url.empty())
    throw UserError("chop " + action +
                    " needs --storage: the study database a search wrote (e.g. "
                    "mase_output/<project>/software/search_ckpts/study.db)");
  return url;
}

int run_report(ActionContext& ctx) {
  const std::string url = report_storage_arg(ctx, "report");
  auto storage = report::open_storage_for_reading(url);
  const report::ReportTarget target =
      report::pick_report_target(*storage, ctx.extra.value("study", std::string()));
  report::ReportOptions options;
  options.output_dir = ctx.extra.value("output", std::string());
  if (options.output_dir.empty()) {
    // Next to the study database (where `chop search` leaves log.json); a comparison in its
    // own folder there, so it never replaces a study's report.
    const std::string folder = report::storage_folder(url);
    options.output_dir = folder.empty() ? "." : folder;
    if (target.comparison) options.output_dir += "/comparison";
  }
  report::ReportFiles files;
  if (target.comparison) {
    const report::ComparisonData data = report::load_comparison(*storage, target.name);
    files = report::write_comparison_report(data, options);
    std::cout << "Sampler comparison '" << data.group << "' (" << data.runs.size() << " studies, "
              << files.n_trials << " trials): " << files.html << "\n"
              << report::comparison_table(report::compare_samplers(data));
  } else {
    const report::StudyData study = report::load_study(*storage, target.name);
    files = report::write_study_report(study, options);
    std::cout << "Report of study '" << study.name << "' (" << files.n_trials
              << (files.n_trials == 1 ? " trial" : " trials") << "): " << files.html << "\n";
  }
  for (const auto& n : files.notes) std::cout << "  " << n << "\n";
  if (!files.svgs.empty())
    std::cout << "Plots: " << files.svgs.size() << " SVG files in " << options.output_dir
              << "/plots\n";
  if (!files.svg_note.empty()) log_warning(files.svg_note);
  return 0;
}

}  // namespace chop::cli
