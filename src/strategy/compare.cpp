// The sampler comparison (`chop search --compare-samplers tpe,random,bruteforce --repeats 5`):
// the same space and objective under each sampler and seed, one study each in one storage,
// then the comparison table and report (src/report/comparison.cpp; docs/samplers.md).
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/log.h"
#include "core/strings.h"
#include "report/comparison.h"
#include "report/report.h"
#include "search/pruner.h"
#include "search/sampler_registry.h"
#include "strategy/objective.h"
#include "strategy/progress.h"
#include "strategy/search.h"
#include "strategy/search_results.h"
#include "strategy/study_definition.h"
#include "strategy/study_identity.h"
#include "strategy/study_setup.h"
#include "train/project.h"

namespace chop::strategy {

SearchSummary run_comparison(const SearchSetup& s) {
  const StrategyConfig& strategy = s.config->strategy;
  auto print = [&s](const std::string& line) {
    if (s.print) s.print(line);
  };
  const std::unique_ptr<space::GraphSpace> space = make_space(s);
  const std::string save_dir =
      train::setup_project_folder(s.project_dir, s.project_name) + "/software/search_ckpts";
  const std::string dir = save_dir + "/comparison";
  make_dirs(dir);
  std::string group = strategy.study_name.empty() ? s.project_name : strategy.study_name;
  // The comparison's studies go where a search's study would: comparison/study.db by default,
  // memory, or the storage URL given (setup.storage / --storage).
  std::string url = s.storage_override.empty() ? strategy.storage : s.storage_override;
  if (url == "sqlite") url = dir + "/study.db";
  const bool persistent = url != "memory";
  auto storage = search::open_storage(url, strategy.storage_retry_timeout_s);
  const int64_t repeats = strategy.compare_repeats;
  // Each stored study of the group continues only if it was made for this search; a new
  // comparison (--new-study, resume = false) takes the group name <group>-<k> instead.
  const search::ParamSpace declared = declared_space(*space, strategy.categorical);
  const Json definition = study_definition(s, *space);
  auto group_in_use = [&storage](const std::string& g) {
    for (const auto& n : storage->study_names())
      if (n.rfind(g + "/", 0) == 0) return true;
    return false;
  };
  if ((s.new_study || !strategy.resume) && group_in_use(group)) {
    int64_t k = 2;
    while (group_in_use(group + "-" + std::to_string(k))) ++k;
    print("Starting a new comparison '" + group + "-" + std::to_string(k) + "' (the studies of '" +
          group + "' in " + storage->describe() + " are kept)");
    group += "-" + std::to_string(k);
  } else {
    // The first study of `g` made for another search, and what differs ("" when none).
    auto first_mismatch = [&](const std::string& g, std::vector<std::string>& differs) {
      for (const auto& sampler : strategy.compare_samplers)
        for (int64_t r = 0; r < repeats; ++r) {
          const std::string name = g + "/" + sampler + "/" + std::to_string(r);
          differs = study_mismatch(*storage, name, definition, declared);
          if (!differs.empty()) return name;
        }
      return std::string();
    };
    std::vector<std::string> differs;
    const std::string refused = first_mismatch(group, differs);
    if (!refused.empty()) {
      // A comparison started earlier with --new-study for this very search continues.
      std::string found;
      std::vector<std::string> ignored;
      for (int64_t k = 2; found.empty() && group_in_use(group + "-" + std::to_string(k)); ++k)
        if (first_mismatch(group + "-" + std::to_string(k), ignored).empty())
          found = group + "-" + std::to_string(k);
      if (found.empty())
        throw UserError("study '" + refused + "' in " + storage->describe() +
                        " was made for another search: " + summarize_differences(differs) +
                        ". Continuing it would mix results of different configurations; " +
                        how_to_start_a_new_study() +
                        " to start a new comparison and keep this one, or undo the change");
      print("The studies of '" + group + "' were made for another search; continuing '" + found +
            "', made for this one");
      group = found;
    }
  }
  print("Sampler comparison on " + space->name() + " (" + with_thousands(space->size()) +
        " configurations): " + join(strategy.compare_samplers, ", ") + ", " +
        std::to_string(repeats) + " repeats of " + std::to_string(strategy.n_trials) +
        " trials each (seeds " + std::to_string(s.seed) + ".." +
        std::to_string(s.seed + static_cast<uint64_t>(repeats) - 1) + ")");

  ObjectiveInputs in;
  in.strategy = &strategy;
  in.space = space.get();
  in.data = s.data;
  in.device = s.device;
  in.batch_size = s.batch_size;

  SearchSummary summary;
  summary.comparison = true;
  summary.save_dir = save_dir;
  summary.comparison_dir = dir;
  summary.persistent = persistent;
  summary.storage = storage->describe();
  for (const auto& sampler : strategy.compare_samplers) {
    for (int64_t r = 0; r < repeats && !interrupt_requested(); ++r) {
      const uint64_t seed = s.seed + static_cast<uint64_t>(r);
      search::StudyOptions so;
      so.name = group + "/" + sampler + "/" + std::to_string(r);
      so.directions = strategy.directions();
      so.storage = storage;
      // The configured sampler keeps its sampler_options; the others run with their defaults.
      so.sampler = search::make_sampler(
          sampler, sampler == strategy.sampler ? strategy.sampler_options : Json::object(), seed);
      so.pruner = search::make_pruner(strategy.pruner, strategy.pruner_options);
      so.seed = seed;
      so.load_if_exists = true;  // checked above: new, or made for this search
      set_config_matching(so, *space, strategy.categorical);
      search::Study study(so);
      study.declare_search_space(declared);
      record_definition(*storage, so.name, definition);
      record_study_attrs(*storage, so.name, strategy, *space);

      int64_t finished = 0;
      SearchResults results(study.directions(), "");
      for (const auto& t : study.trials()) {
        finished += search::is_finished(t.state) ? 1 : 0;
        results.add(t);
      }
      in.seed = seed;
      const search::Objective objective = make_objective(in);
      const std::string run_name =
          sampler + " " + std::to_string(r + 1) + "/" + std::to_string(repeats);
      // Only the live line (or nothing) per trial: one summary line per run below.
      TrialProgress progress(nullptr, s.status, strategy.n_trials, finished, strategy.timeout_s,
                             run_name + " ");
      search::OptimizeOptions oo;
      oo.n_trials = std::max<int64_t>(0, strategy.n_trials - finished);
      oo.timeout_s = strategy.timeout_s;
      oo.n_jobs = strategy.n_jobs;
      oo.catch_exceptions = true;
      oo.callbacks.push_back([&](search::Study& study_ref, const search::FrozenTrial& t) {
        if (interrupt_requested()) study_ref.stop();
        results.add(t);
        progress.on_trial(t, results);
      });
      const search::OptimizeSummary o =
          oo.n_trials > 0 ? study.optimize(objective, oo) : search::OptimizeSummary{};
      progress.finish();
      const int64_t id = *storage->study_id_from_name(so.name);
      const Json previous = storage->study_user_attrs(id);
      const bool exhausted =
          o.exhausted || (previous.contains(report::kComparisonAttr) &&
                          previous[report::kComparisonAttr].value("exhausted", false));
      storage->set_study_user_attr(id, report::kComparisonAttr,
                                   {{"group", group},
                                    {"sampler", sampler},
                                    {"repeat", r},
                                    {"seed", seed},
                                    {"exhausted", exhausted}});
      summary.optimize.n_started += o.n_started;
      summary.optimize.n_complete += o.n_complete;
      summary.optimize.n_pruned += o.n_pruned;
      summary.optimize.n_failed += o.n_failed;
      summary.optimize.n_reused += o.n_reused;
      summary.optimize.elapsed_s += o.elapsed_s;
      const size_t n = study.n_trials();
      std::string best = "no complete trial";
      if (results.best_count() > 0)
        best = results.multi_objective()
                   ? "Pareto front " + std::to_string(results.best_count())
                   : "best " + format_double(std::round(results.best_value() * 1e4) / 1e4);
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.2f s", o.elapsed_s);
      print("[" + run_name + "] " + std::to_string(n) + " trials" +
            (exhausted ? " (space exhausted)" : "") + ", " + best + ", " + secs);
    }
  }

  // Compare what is stored (also runs an earlier, interrupted command finished).
  const report::ComparisonData data = report::load_comparison(*storage, group);
  summary.comparison_table = report::comparison_table(report::compare_samplers(data));
  if (strategy.write_report)
    summary.report_line = write_report_after_search([&]() -> std::string {
      report::ReportOptions ro;
      ro.output_dir = dir;
      const report::ReportFiles files = report::write_comparison_report(data, ro);
      summary.report_html = files.html;
      if (!files.svg_note.empty()) log_warning(files.svg_note);
      return "Report: " + files.html +
             (files.svgs.empty() ? std::string()
                                 : " (plots: " + std::to_string(files.svgs.size()) +
                                       " SVG files in " + dir + "/plots)");
    });
  if (interrupt_requested()) {
    if (!summary.report_line.empty()) print(summary.report_line);
    throw InterruptedError("sampler comparison stopped; every finished trial is saved in " + dir +
                           (persistent ? " and " + storage->describe() +
                                             ": run the same command to continue (each study "
                                             "resumes by name)"
                                       : " (storage = \"memory\": nothing to resume)"));
  }
  return summary;
}

}  // namespace chop::strategy
