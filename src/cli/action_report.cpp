// `chop report --storage STUDY.db [--study NAME] [--output DIR]`: a study's report.html and
// plots/*.svg (the work is in src/report/).
#include <iostream>

#include "cli/action.h"
#include "core/error.h"
#include "core/log.h"
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
  const std::string name = report::pick_study(*storage, ctx.extra.value("study", std::string()));
  report::ReportOptions options;
  options.output_dir = ctx.extra.value("output", std::string());
  if (options.output_dir.empty()) options.output_dir = report::storage_folder(url);
  if (options.output_dir.empty()) options.output_dir = ".";
  const report::StudyData study = report::load_study(*storage, name);
  const report::ReportFiles files = report::write_study_report(study, options);
  std::cout << "Report of study '" << study.name << "' (" << files.n_trials
            << (files.n_trials == 1 ? " trial" : " trials") << "): " << files.html << "\n";
  for (const auto& n : files.notes) std::cout << "  " << n << "\n";
  if (!files.svgs.empty())
    std::cout << "Plots: " << files.svgs.size() << " SVG files in " << options.output_dir
              << "/plots\n";
  if (!files.svg_note.empty()) log_warning(files.svg_note);
  return 0;
}

}  // namespace chop::cli
