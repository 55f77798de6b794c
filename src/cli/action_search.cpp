// `chop search --config X.toml [--load CKPT]`: MASE's search action. Builds the search space over
// the (loaded) model, scores each trial with the configured runners, stores every trial in a
// SQLite study (resumable by name), and writes MASE's log.json / best.json and tables.
#include <ATen/ATen.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "cli/action.h"
#include "cli/model_setup.h"
#include "cli/search_report.h"
#include "cli/search_results.h"
#include "cli/search_strategy.h"
#include "core/error.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/verify.h"
#include "passes/pass.h"
#include "runtime/executor.h"
#include "search/pareto.h"
#include "search/pruner.h"
#include "search/sampler_registry.h"
#include "search/study.h"
#include "space/constraints.h"
#include "space/graph_space.h"
#include "train/checkpoint.h"
#include "train/project.h"

namespace chop::cli {
namespace {

using Json = nlohmann::ordered_json;

// 1500 -> "1,500"; 2.5e9 stays "2.5e+09".
std::string readable(double v) {
  return std::abs(v) < 1e12 && v == std::floor(v) ? with_thousands(static_cast<int64_t>(v))
                                                  : format_double(v);
}

std::string progress_line(int64_t done, int64_t target, const search::FrozenTrial& t,
                          const SearchResults& results, double elapsed_s, double timeout_s) {
  std::string line = "[trial " + std::to_string(done) + "/" + std::to_string(target) + "] #" +
                     std::to_string(t.number) + " " + search::to_string(t.state);
  if (t.user_attrs.contains("violated_constraints")) {
    std::vector<std::string> v;
    for (auto it = t.user_attrs["violated_constraints"].begin();
         it != t.user_attrs["violated_constraints"].end(); ++it)
      v.push_back(it.key() + " " + readable(it.value()["value"].get<double>()) + " > " +
                  readable(it.value()["limit"].get<double>()));
    line += " (infeasible: " + join(v, ", ") + "; not trained)";
  }
  if (!t.values.empty()) {
    std::vector<std::string> v;
    for (double x : t.values) v.push_back(format_double(std::round(x * 1e4) / 1e4));
    line += " values [" + join(v, ", ") + "]";
  }
  if (!results.multi_objective()) {
    if (results.best_count() > 0)
      line += ", best " + format_double(std::round(results.best_value() * 1e4) / 1e4);
  } else {
    line += ", Pareto front " + std::to_string(results.best_count());
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, ", %.1fs", elapsed_s);
  line += buf;
  if (timeout_s > 0) {
    std::snprintf(buf, sizeof buf, " / timeout %.0fs", timeout_s);
    line += buf;
  }
  return line;
}

}  // namespace

int run_search(ActionContext& ctx) {
  // Ctrl-C stops at the next safe point (between steps / trials), keeps the finished work and
  // exits 130. Only actions with safe points take over the signal; others keep the default.
  install_interrupt_handlers();
  const std::string model = model_name(ctx);
  const std::string dataset = dataset_name(ctx);
  require_model_and_dataset("search", model, dataset);
  if (!ctx.cfg.toml) throw UserError("expected configuration via --config, got None");
  const Json* search_table = ctx.cfg.table("search");
  if (!search_table)
    throw ConfigError(ctx.cfg.toml->path,
                      "no [search] table: a search needs [search.search_space] "
                      "and [search.strategy] (see configs/)");
  auto locate = [&](const std::string& path) {
    std::string w = ctx.cfg.where(path);
    return w.empty() || w == ctx.cfg.toml->path ? ctx.cfg.toml->path + " (" + path + ")"
                                                : w + " (" + path + ")";
  };
  runners::check_keys(*search_table, {"search_space", "strategy"},
                      [&](const std::string& k) { return locate("search." + k); });
  if (!search_table->contains("strategy"))
    throw ConfigError(locate("search"), "missing [search.strategy]");
  std::cout << ctx.cfg.render_table() << std::flush;
  set_threads(ctx);
  const at::Device device = device_for(ctx);
  const uint64_t seed = static_cast<uint64_t>(ctx.cfg.integer("seed"));
  at::manual_seed(seed);

  // Parse everything before loading data or running anything, so config errors come first.
  Json strategy_table = (*search_table)["strategy"];
  // --max-epochs on the command line scales the per-trial training budget (basic_train's
  // max_epochs); a TOML top-level max_epochs does not (MASE: runner options live in the runner).
  for (const auto& r : ctx.cfg.rows)
    if (r.dest == "max_epochs" && r.cli_value.has_value() && strategy_table.is_object() &&
        strategy_table.contains("sw_runner") && strategy_table["sw_runner"].is_object() &&
        strategy_table["sw_runner"].contains("basic_train") &&
        strategy_table["sw_runner"]["basic_train"].is_object())
      strategy_table["sw_runner"]["basic_train"]["max_epochs"] = ctx.cfg.integer("max_epochs");
  StrategyConfig strategy = parse_strategy(strategy_table, locate);
  data::Splits splits = load_data_for(ctx, model, dataset);
  graph::Graph base = models::build_model(model, model_options_for(ctx, model, splits.info));
  graph::Shape in_shape = splits.val.x.sizes().vec();
  in_shape[0] = ctx.cfg.integer("batch_size");
  graph::verify(base, in_shape);
  if (!ctx.cfg.is_null("load_name")) {
    train::load_weights_into(base, ctx.cfg.str("load_name"));
    log_info("Loaded weights from " + ctx.cfg.str("load_name"));
  } else {
    log_warning("no --load checkpoint given: searching the untrained model '" + model +
                "' (train it first with `chop train`)");
  }
  base.to(device);
  base.set_requires_grad(false);

  space::SpaceSetup setup;
  setup.base = &base;
  setup.table = search_table->contains("search_space") ? (*search_table)["search_space"] : Json();
  setup.where = [&](const std::string& p) { return ctx.cfg.where(p); };
  setup.seed = seed;
  auto space = space::make_graph_space(setup);
  bool has_train = false;
  for (const auto& r : strategy.sw_runners) has_train |= r.name == "basic_train";
  if (space->copies_weights() && !has_train)
    throw ConfigError(locate("search.strategy.sw_runner"),
                      "search space '" + space->name() +
                          "' trains every candidate (its own fake-quantized or resized weights): "
                          "add [search.strategy.sw_runner.basic_train] (and eval_mode = false)");
  bool trains = has_train || !strategy.eval_mode;
  // Check the first configuration builds, so bad quantizer configs fail before any trial.
  {
    std::map<std::string, Json> first;
    for (const auto& p : space->params()) first[p.key] = p.choices.front();
    space->build(first);
  }

  const ProjectFolder project = project_folder(ctx, model, dataset);
  const std::string save_dir = project.path + "/software/search_ckpts";
  make_dirs(save_dir);

  search::StudyOptions so;
  so.name = strategy.study_name.empty() ? project.name : strategy.study_name;
  so.directions = strategy.directions();
  // setup.storage = "memory" keeps the study in this process only, like Optuna's default
  // storage: no study.db, no resume, nothing shared (for throwaway searches). A URL (or
  // --storage URL) names a study file or server that several workers may share.
  std::string storage_url = strategy.storage;
  if (ctx.extra.contains("storage")) storage_url = ctx.extra["storage"].get<std::string>();
  if (storage_url == "sqlite") storage_url = save_dir + "/study.db";
  const bool persistent = storage_url != "memory";
  so.storage = search::open_storage(storage_url, strategy.storage_retry_timeout_s);
  if (persistent) {
    so.heartbeat_interval_s = strategy.heartbeat_interval_s;
    so.grace_period_s = strategy.grace_period_s;
    so.retry_failed = strategy.retry_failed;
  }
  so.sampler = search::make_sampler(strategy.sampler, strategy.sampler_options, seed);
  so.pruner = search::make_pruner(strategy.pruner, strategy.pruner_options);
  so.seed = seed;
  so.load_if_exists = strategy.resume;
  search::Study study(so);
  search::ParamSpace declared;
  for (const auto& p : space->params())
    declared[p.key] = strategy.categorical ? search::Distribution::make_categorical(p.choices)
                                           : search::Distribution::make_int(
                                                 0, static_cast<int64_t>(p.choices.size()) - 1);
  study.declare_search_space(declared);

  int64_t finished = 0;
  SearchResults results(study.directions(), save_dir);
  for (const auto& t : study.trials()) {
    if (search::is_finished(t.state)) ++finished;
    results.add(t);
  }
  int64_t remaining = std::max<int64_t>(0, strategy.n_trials - finished);
  std::cout << "Search space " << space->name() << ": " << space->params().size() << " choices, "
            << with_thousands(space->size()) << " configurations; sampler " << strategy.sampler
            << ", " << strategy.n_trials << " trials";
  if (finished) std::cout << " (" << finished << " already in study '" << so.name << "')";
  std::cout << "\n";

  std::mutex torch_mu;  // eval runners are thread-safe; training runners are serialised
  auto objective = [&](search::Trial& trial) -> std::vector<double> {
    std::map<std::string, Json> sampled;
    for (const auto& p : space->params()) {
      if (strategy.categorical) {
        sampled[p.key] = trial.suggest_categorical(p.key, p.choices);
      } else {
        int64_t idx = trial.suggest_int(p.key, 0, static_cast<int64_t>(p.choices.size()) - 1);
        sampled[p.key] = p.choices[static_cast<size_t>(idx)];
      }
    }
    runners::RunnerEnv env;
    env.data = &splits;
    env.batch_size = ctx.cfg.integer("batch_size");
    env.device = device;
    env.seed = seed + static_cast<uint64_t>(trial.number());
    env.trial = &trial;
    space::Candidate cand = space->build_for_trial(sampled, env.seed);
    Json sw = Json::object(), hw = Json::object();
    // A-priori constraints: an over-budget candidate is recorded PRUNED (infeasible) and never
    // reaches the runners, so it is never trained (docs/nas.md).
    if (!strategy.constraints.empty()) {
      at::NoGradGuard no_grad;
      passes::PassContext pctx;
      pctx.seed = env.seed;
      pctx.batch_size = env.batch_size;
      pctx.device = device.str();
      if (splits.val.size() > 0)
        pctx.dummy_input = splits.val.x.narrow(0, 0, std::min(env.batch_size, splits.val.size()));
      space::ConstraintCheck check =
          space::check_hardware_constraints(cand.graph, strategy.constraints, pctx);
      trial.set_system_attr("constraints", check.values);
      trial.set_user_attr("constraint_metrics", check.metrics);
      if (!check.feasible()) {
        trial.set_user_attr("infeasible", true);
        trial.set_user_attr("violated_constraints", check.violated);
        trial.set_user_attr("sampled_config", cand.sampled_config);
        throw search::TrialPruned();
      }
    }
    // Hardware metrics do not depend on training: they run first, so a multi-objective study's
    // dominance pruner knows the exact hardware objectives while the candidate trains.
    for (auto& r : strategy.hw_runners) {
      at::NoGradGuard no_grad;
      Json m = r.runner->run(cand.graph, env);
      for (auto it = m.begin(); it != m.end(); ++it) hw[it.key()] = it.value();
    }
    trial.set_user_attr("hardware_metrics", hw);
    trial.set_user_attr("sampled_config", cand.sampled_config);
    if (!strategy.sum_scaled_metrics && strategy.metrics.size() > 1) {
      std::map<int, double> exact;
      for (size_t k = 0; k < strategy.metrics.size(); ++k) {
        const auto& m = strategy.metrics[k];
        if (hw.contains(m.name) && hw[m.name].is_number())
          exact[static_cast<int>(k)] = m.scale * hw[m.name].get<double>();
      }
      if (!exact.empty()) trial.set_exact_objectives(exact);
    }
    {
      std::unique_lock<std::mutex> lock(torch_mu, std::defer_lock);
      if (trains) lock.lock();
      for (auto& r : strategy.sw_runners) {
        at::NoGradGuard no_grad;
        std::optional<at::AutoGradMode> grad_on;
        if (r.name == "basic_train") grad_on.emplace(true);
        Json m = r.runner->run(cand.graph, env);
        for (auto it = m.begin(); it != m.end(); ++it) sw[it.key()] = it.value();
      }
    }
    Json scaled = Json::object();
    std::vector<double> values;
    double sum = 0;
    for (const auto& m : strategy.metrics) {
      const Json& v = sw.contains(m.name) ? sw[m.name] : hw[m.name];
      double x = v.is_number() ? v.get<double>() : std::nan("");
      scaled[m.name] = m.scale * x;
      values.push_back(m.scale * x);
      sum += m.scale * x;
    }
    trial.set_user_attr("software_metrics", sw);
    trial.set_user_attr("scaled_metrics", scaled);
    if (strategy.sum_scaled_metrics) return {sum};
    return values;
  };

  auto t0 = std::chrono::steady_clock::now();
  int64_t done = 0;
  search::OptimizeOptions oo;
  oo.n_trials = remaining;
  // n_trials is the study's total: workers sharing the study stop together at exactly that many.
  oo.max_trials_in_study = strategy.n_trials;
  oo.timeout_s = strategy.timeout_s;
  oo.n_jobs = strategy.n_jobs;
  oo.catch_exceptions = true;
  oo.callbacks.push_back([&](search::Study& s, const search::FrozenTrial& t) {
    ++done;
    if (interrupt_requested()) s.stop();  // Ctrl-C: the running trial is finished and kept
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    results.add(t);
    std::cout << progress_line(finished + done, strategy.n_trials, t, results, elapsed,
                               strategy.timeout_s)
              << "\n"
              << std::flush;
    // The last trial's save would be rewritten at once by the final one below.
    if (done % strategy.save_every_n_trials == 0 && finished + done < strategy.n_trials)
      results.write();
  });
  search::OptimizeSummary summary = study.optimize(objective, oo);
  // Other processes sharing the study may have added trials: the final files list them all.
  results.write_all(study.trials());
  if (interrupt_requested())
    throw InterruptedError(
        "search stopped after " + std::to_string(finished + done) + " of " +
        std::to_string(strategy.n_trials) + " trials; every finished trial is saved in " +
        save_dir +
        (persistent ? "/{log.json,best.json} and " + so.storage->describe() +
                          ": run the same command to continue (the study resumes by name)"
                    : "/{log.json,best.json} (storage = \"memory\": nothing to resume)"));
  const std::vector<search::FrozenTrial> best = results.best();
  std::cout << "Search finished: " << summary.n_complete << " complete, " << summary.n_pruned
            << " pruned, " << summary.n_failed << " failed, " << summary.n_reused
            << " repeated configurations reused"
            << (summary.exhausted ? " (search space exhausted)" : "")
            << (summary.timed_out ? " (timeout reached)" : "")
            << (summary.study_full && !summary.exhausted ? " (the study holds its n_trials)" : "")
            << ", " << format_double(std::round(summary.elapsed_s * 1000) / 1000) << " s\n";
  if (best.empty()) {
    throw RunError("no trial completed (" + std::to_string(summary.n_pruned) + " pruned, " +
                   std::to_string(summary.n_failed) + " failed); see the FAIL reasons and " +
                   "infeasible (over-budget) trials in " + save_dir + "/log.json");
  }
  std::cout << "Best trial(s):\n" << render_best_table(best);
  std::cout << "Results: " << save_dir << "/{log.json,best.json}"
            << (persistent ? "; study '" + so.name + "' in " + so.storage->describe() + "\n"
                           : " (study kept in memory only)\n");
  return 0;
}

}  // namespace chop::cli
