// The search strategy; see search.h.
#include "strategy/search.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/log.h"
#include "core/strings.h"
#include "report/report.h"
#include "search/pruner.h"
#include "search/sampler_registry.h"
#include "space/graph_space.h"
#include "strategy/best_export.h"
#include "strategy/objective.h"
#include "strategy/progress.h"
#include "strategy/search_results.h"
#include "strategy/study_identity.h"
#include "strategy/study_setup.h"
#include "train/project.h"

namespace chop::strategy {

std::string SearchConfig::where(const std::string& key_path) const {
  return toml ? toml->where(key_path) : "";
}

std::string SearchConfig::locate(const std::string& path) const {
  const std::string w = where(path);
  return w.empty() || w == config_path ? config_path + " (" + path + ")" : w + " (" + path + ")";
}

const config::TableDoc& search_doc() {
  static const config::TableDoc doc{
      "search",
      "a search: the space over the model and the strategy that explores it",
      {{"search_space", "table", nullptr, true,
        "[search.search_space]: name (see `chop list spaces`), setup, seed"},
       {"strategy", "table", nullptr, true, "[search.strategy]"}}};
  return doc;
}

SearchConfig read_search_config(const config::RunConfig& cfg,
                                std::optional<int64_t> max_epochs_override) {
  if (!cfg.toml) throw UserError("expected configuration via --config, got None");
  SearchConfig c;
  c.toml = &*cfg.toml;
  c.config_path = cfg.toml->path;
  const Json* search_table = cfg.table("search");
  if (!search_table)
    throw ConfigError(c.config_path,
                      "no [search] table: a search needs [search.search_space] "
                      "and [search.strategy] (see configs/)");
  auto locate = [&c](const std::string& p) { return c.locate(p); };
  const config::TableReader search_reader(*search_table, search_doc(), [&](const std::string& k) {
    return locate(k.empty() ? "search" : "search." + k);
  });
  if (!search_table->contains("strategy"))
    throw ConfigError(locate("search"), "missing [search.strategy]");
  Json strategy_table = (*search_table)["strategy"];
  if (max_epochs_override && strategy_table.is_object() && strategy_table.contains("sw_runner") &&
      strategy_table["sw_runner"].is_object())
    for (auto& [name, options] : strategy_table["sw_runner"].items()) {
      const runners::RunnerEntry* e = runners::runner_registry().find(name);
      if (e && e->trains && options.is_object()) options["max_epochs"] = *max_epochs_override;
    }
  c.strategy = parse_strategy(strategy_table, locate);
  if (search_table->contains("search_space")) c.space_table = (*search_table)["search_space"];
  return c;
}

SearchSummary run(const SearchSetup& s) {
  CHOP_ASSERT(s.config && s.base && s.data, "strategy::run needs a config, a model and data");
  const StrategyConfig& strategy = s.config->strategy;
  if (!strategy.compare_samplers.empty()) return run_comparison(s);
  auto print = [&s](const std::string& line) {
    if (s.print) s.print(line);
  };
  const std::unique_ptr<space::GraphSpace> space = make_space(s);
  if (!s.weights_loaded && !space->fresh_weights())
    log_warning("no --load checkpoint given: searching the untrained model '" +
                s.base->model_name() + "' (train it first with `chop train`)");
  std::optional<BestExporter> exporter;
  if (!s.export_best.empty()) exporter.emplace(s.export_best);
  const std::string save_dir =
      train::setup_project_folder(s.project_dir, s.project_name) + "/software/search_ckpts";
  make_dirs(save_dir);

  search::StudyOptions so;
  const std::string configured_name =
      strategy.study_name.empty() ? s.project_name : strategy.study_name;
  so.directions = strategy.directions();
  // setup.storage = "memory" keeps the study in this process only, like Optuna's default
  // storage: no study.db, no resume, nothing shared (for throwaway searches). A URL (or
  // --storage URL) names a study file or server that several workers share (docs/distributed.md).
  std::string storage_url = s.storage_override.empty() ? strategy.storage : s.storage_override;
  if (storage_url == "sqlite") storage_url = save_dir + "/study.db";
  const bool persistent = storage_url != "memory";
  so.storage = search::open_storage(storage_url, strategy.storage_retry_timeout_s);
  if (persistent) {
    so.heartbeat_interval_s = strategy.heartbeat_interval_s;
    so.grace_period_s = strategy.grace_period_s;
    so.retry_failed = strategy.retry_failed;
  }
  so.sampler = search::make_sampler(
      strategy.sampler, strategy.sampler_options, s.seed,
      config::locate_in(s.config->toml, "search.strategy.setup.sampler_options"));
  so.pruner = search::make_pruner(
      strategy.pruner, strategy.pruner_options,
      config::locate_in(s.config->toml, "search.strategy.setup.pruner_options"));
  so.seed = s.seed;
  // The study of this name continues only if it was made for the same search (the same values
  // behind each index, model, checkpoint, runners and data); otherwise a refusal here, before
  // any trial, or a new study when asked (docs/reliability.md, resuming a study).
  const search::ParamSpace declared = declared_space(*space, strategy.categorical);
  const Json definition = study_definition(s, *space);
  const StudyChoice choice = choose_study(*so.storage, configured_name, definition, declared,
                                          s.new_study || !strategy.resume);
  if (!choice.note.empty()) print(choice.note);
  so.name = choice.name;
  so.load_if_exists = true;  // choose_study decided: this name is new or made for this search
  set_config_matching(so, *space, strategy.categorical);
  search::Study study(so);
  study.declare_search_space(declared);
  record_definition(*so.storage, so.name, definition);
  record_study_attrs(*so.storage, so.name, strategy, *space);

  int64_t finished = 0;
  SearchResults results(study.directions(), save_dir);
  for (const auto& t : study.trials()) {
    if (search::is_finished(t.state)) ++finished;
    results.add(t);
  }
  const int64_t remaining = std::max<int64_t>(0, strategy.n_trials - finished);
  print("Search space " + space->name() + ": " + std::to_string(space->params().size()) +
        " choices, " + with_thousands(space->size()) + " configurations; sampler " +
        strategy.sampler + ", " + std::to_string(strategy.n_trials) + " trials" +
        (finished ? " (" + std::to_string(finished) + " already in study '" + so.name + "')"
                  : std::string()));

  ObjectiveInputs in;
  in.strategy = &strategy;
  in.space = space.get();
  in.data = s.data;
  in.device = s.device;
  in.seed = s.seed;
  in.batch_size = s.batch_size;
  if (exporter)
    in.keep_candidate = [&exporter](int64_t number, graph::Graph&& g) {
      exporter->keep(number, std::move(g));
    };
  const search::Objective objective = make_objective(in);

  TrialProgress progress(s.print, s.status, strategy.n_trials, finished, strategy.timeout_s);
  int64_t done = 0;
  search::OptimizeOptions oo;
  oo.n_trials = remaining;
  // n_trials is the study's total: workers sharing the study stop together at exactly that many.
  oo.max_trials_in_study = strategy.n_trials;
  oo.timeout_s = strategy.timeout_s;
  oo.n_jobs = strategy.n_jobs;
  oo.catch_exceptions = true;
  oo.callbacks.push_back([&](search::Study& study_ref, const search::FrozenTrial& t) {
    ++done;
    if (interrupt_requested()) study_ref.stop();  // Ctrl-C: the running trial is finished, kept
    results.add(t);
    if (exporter) exporter->retain_only(results.best(), t.number);
    progress.on_trial(t, results);
    // The last trial's save would be rewritten at once by the final one below.
    if (done % strategy.save_every_n_trials == 0 && finished + done < strategy.n_trials)
      results.write();
  });
  SearchSummary summary;
  summary.optimize = study.optimize(objective, oo);
  progress.finish();
  // Other processes sharing the study may have added trials: the final files list them all.
  results.write_all(study.trials());
  // report.html and plots/ next to log.json, also for an interrupted search (docs/report.md).
  if (strategy.write_report)
    summary.report_line = write_report_after_search([&]() -> std::string {
      report::ReportOptions ro;
      ro.output_dir = save_dir;
      const report::ReportFiles files =
          report::write_study_report(report::load_study(*so.storage, so.name), ro);
      summary.report_html = files.html;
      if (!files.svg_note.empty()) log_warning(files.svg_note);
      return "Report: " + files.html +
             (files.svgs.empty() ? std::string()
                                 : " (plots: " + std::to_string(files.svgs.size()) +
                                       " SVG files in " + save_dir + "/plots)");
    });
  if (interrupt_requested()) {
    if (!summary.report_line.empty()) print(summary.report_line);
    throw InterruptedError(
        "search stopped after " + std::to_string(finished + done) + " of " +
        std::to_string(strategy.n_trials) + " trials; every finished trial is saved in " +
        save_dir +
        (persistent ? "/{log.json,best.json} and " + so.storage->describe() +
                          (choice.created_new
                               ? ": run the command without --new-study (resume = true) to "
                                 "continue: study '" + so.name + "' is found by its definition"
                               : ": run the same command to continue (the study resumes by name)")
                    : "/{log.json,best.json} (storage = \"memory\": nothing to resume)"));
  }
  summary.best = results.best();
  summary.save_dir = save_dir;
  summary.study_name = so.name;
  summary.storage = so.storage->describe();
  summary.persistent = persistent;
  if (exporter && !summary.best.empty()) {
    // A best trial of an earlier run (resumed study) is rebuilt; a training search retrains it
    // with the trial's seed, as the trial did.
    auto rebuild = [&](const search::FrozenTrial& t) {
      std::map<std::string, Json> sampled;
      for (const auto& p : space->params()) {
        Json v = t.param(p.key);
        sampled[p.key] = strategy.categorical ? v : p.choices.at(v.get<size_t>());
      }
      runners::RunnerEnv env;
      env.data = s.data;
      env.batch_size = s.batch_size;
      env.device = s.device;
      env.seed = s.seed + static_cast<uint64_t>(t.number);
      space::Candidate cand = space->build_for_trial(sampled, env.seed);
      for (auto& r : strategy.sw_runners)
        if (r.entry && r.entry->trains) {
          at::AutoGradMode grad_on(r.entry->needs_grad);
          r.runner->run(cand.graph, env);
        }
      return std::move(cand.graph);
    };
    summary.exported = exporter->write(summary.best, save_dir + "/best_export", rebuild);
  }
  return summary;
}

}  // namespace chop::strategy
