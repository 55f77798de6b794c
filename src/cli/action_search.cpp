// `chop search --config X.toml [--load CKPT | --train-base]`: MASE's search action. Reads the
// [search] table, loads the data and the (trained, or here trained) model, runs the search
// strategy (src/strategy/) and prints the best trial or Pareto front and where the results are.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>

#include "cli/action.h"
#include "cli/model_setup.h"
#include "cli/train_setup.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/verify.h"
#include "interop/export.h"
#include "strategy/search.h"
#include "strategy/search_report.h"
#include "train/checkpoint/ckpt_file.h"
#include "train/progress.h"

namespace chop::cli {
namespace {

// --max-epochs typed on the command line (not a TOML top-level max_epochs).
std::optional<int64_t> max_epochs_from_cli(const config::RunConfig& cfg) {
  for (const auto& r : cfg.rows)
    if (r.dest == "max_epochs" && r.cli_value.has_value()) return cfg.integer("max_epochs");
  return std::nullopt;
}

// --compare-samplers a,b,c and --repeats N override the config's setup.compare_samplers and
// setup.compare_repeats.
void apply_comparison_flags(const ActionContext& ctx, strategy::StrategyConfig& strategy) {
  if (ctx.extra.contains("compare_samplers")) {
    std::vector<std::string> names;
    for (const auto& n : split(ctx.extra["compare_samplers"].get<std::string>(), ','))
      if (!trim(n).empty()) names.push_back(trim(n));
    if (names.empty())
      throw UserError("--compare-samplers needs sampler names, e.g. tpe,random,bruteforce");
    try {
      strategy::check_sampler_names(names, "--compare-samplers");
    } catch (const ConfigError& e) {
      throw UserError(e.what());  // a flag, not a config file
    }
    strategy.compare_samplers = names;
  }
  if (ctx.extra.contains("repeats")) {
    const std::string text = ctx.extra["repeats"].get<std::string>();
    size_t used = 0;
    long long n = 0;
    try {
      n = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || n < 1 || n > 1000)
      throw UserError("--repeats '" + text + "' must be a whole number from 1 to 1000");
    if (strategy.compare_samplers.empty())
      throw UserError(
          "--repeats is for a sampler comparison: add --compare-samplers "
          "(e.g. tpe,random,bruteforce)");
    strategy.compare_repeats = n;
  }
}

// The terminal's live line: shown in place, cleared before any other line is printed.
class LiveLine {
 public:
  void show(const std::string& text) {
    if (text.empty()) {
      if (len_ > 0) std::cout << '\r' << std::string(len_, ' ') << '\r' << std::flush;
      len_ = 0;
      return;
    }
    std::cout << '\r' << text;
    if (text.size() < len_) std::cout << std::string(len_ - text.size(), ' ');
    std::cout << std::flush;
    len_ = text.size();
  }
  void print(const std::string& line) {
    show("");
    std::cout << line << "\n" << std::flush;
  }

 private:
  size_t len_ = 0;
};

}  // namespace

int run_search(ActionContext& ctx) {
  // Ctrl-C stops at the next safe point (between steps / trials), keeps the finished work and
  // exits 130. Only actions with safe points take over the signal; others keep the default.
  install_interrupt_handlers();
  const std::string model = model_name(ctx);
  const std::string dataset = dataset_name(ctx);
  require_model_and_dataset("search", model, dataset);
  // Every config error before anything is loaded or run.
  strategy::SearchConfig config =
      strategy::read_search_config(ctx.cfg, max_epochs_from_cli(ctx.cfg));
  if (ctx.extra.contains("export_best"))  // an unknown format fails before anything runs
    interop::export_format(ctx.extra["export_best"].get<std::string>());
  apply_comparison_flags(ctx, config.strategy);
  if (ctx.extra.value("train_base", false) && !ctx.cfg.is_null("load_name"))
    throw UserError(
        "--train-base trains the base model from scratch and --load starts from a checkpoint: "
        "give one of them (to search a trained checkpoint, drop --train-base)");
  std::cout << ctx.cfg.render_table() << std::flush;
  set_threads(ctx);
  const at::Device device = device_for(ctx);
  const uint64_t seed = static_cast<uint64_t>(ctx.cfg.integer("seed"));
  at::manual_seed(seed);

  data::Splits splits = load_data_for(ctx, model, dataset);
  graph::Graph base = build_model_for(ctx, model, splits.info);
  graph::Shape in_shape = splits.val.x.sizes().vec();
  in_shape[0] = ctx.cfg.integer("batch_size");
  graph::verify(base, in_shape);
  const bool train_base = ctx.extra.value("train_base", false);
  std::string project = project_name(ctx, model, dataset);
  std::string base_checkpoint;  // --train-base: its best.ckpt
  if (train_base) {
    // Exactly what `chop train` + `chop search --load best.ckpt` do, in one process: the
    // trainer writes the checkpoints, the search starts from best.ckpt's weights and from the
    // global generator's state before training (as a fresh process would).
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    const at::Tensor generator_state = generator.get_state();
    in_shape = splits.train.x.sizes().vec();
    in_shape[0] = std::min<int64_t>(ctx.cfg.integer("batch_size"), splits.train.size());
    check_batch_memory(graph::verify(base, in_shape), /*backward=*/true);
    const ProjectFolder folder = project_folder(ctx, model, dataset);
    project = folder.name;  // one name for the training and the search folders
    const BaseTraining trained = train_base_model(ctx, model, base, splits, folder.path, device);
    checkpoint::load_weights_into(base, trained.best_checkpoint);
    base_checkpoint = trained.best_checkpoint;
    generator.set_state(generator_state);
    log_info("searching on the trained base model's weights from " + trained.best_checkpoint);
  } else if (!ctx.cfg.is_null("load_name")) {
    load_weights_for(ctx, base);
  }
  base.to(device);
  base.set_requires_grad(false);

  strategy::SearchSetup setup;
  setup.config = &config;
  setup.base = &base;
  setup.data = &splits;
  setup.device = device;
  setup.seed = seed;
  setup.batch_size = ctx.cfg.integer("batch_size");
  setup.project_dir = ctx.cfg.str("project_dir");
  setup.project_name = project;
  setup.weights_loaded = train_base || !ctx.cfg.is_null("load_name");
  // What the study records of this run, so that a changed model, checkpoint or data set is
  // never continued as the same study (strategy/study_identity.h).
  setup.model_name = model;
  if (model_source(model).from_file) setup.model_file = model;
  // --train-base: the checkpoint it trained, as `chop search --load` of it would record.
  if (setup.weights_loaded)
    setup.checkpoint_path = train_base ? base_checkpoint : ctx.cfg.str("load_name");
  setup.dataset_name = dataset;
  if (const config::Json* mc = ctx.cfg.table("model_config")) setup.model_config = *mc;
  if (!setup.model_file.empty()) setup.model_config = config::Json::object();  // files: digest
  else if (const auto widths = model_options_for(ctx, model, splits.info).hidden_features;
           !widths.empty())
    setup.model_config["hidden_features"] = widths;  // the flag or the table, as numbers
  setup.new_study = ctx.extra.contains("new_study") && ctx.extra["new_study"].get<bool>();
  if (ctx.extra.contains("export_best"))
    setup.export_best = ctx.extra["export_best"].get<std::string>();
  // On a terminal one live progress line (rewritten in place) and the notable trials above it;
  // in logs and pipes a plain line per trial (as `chop train`).
  LiveLine live;
  setup.print = [&live](const std::string& line) { live.print(line); };
  if (train::stdout_is_terminal())
    setup.status = [&live](const std::string& line) { live.show(line); };
  if (ctx.extra.contains("storage"))
    setup.storage_override = ctx.extra["storage"].get<std::string>();
  const strategy::SearchSummary summary = strategy::run(setup);
  live.show("");
  if (summary.comparison) {
    std::cout << "Sampler comparison finished: " << summary.optimize.n_started << " trials, "
              << format_double(std::round(summary.optimize.elapsed_s * 1000) / 1000)
              << " s searching\n"
              << summary.comparison_table << "Studies: "
              << (summary.persistent ? summary.storage + "\n"
                                     : summary.comparison_dir + " (kept in memory only)\n");
    if (!summary.report_line.empty()) std::cout << summary.report_line << "\n";
    return 0;
  }

  const search::OptimizeSummary& s = summary.optimize;
  std::cout << "Search finished: " << s.n_complete << " complete, " << s.n_pruned << " pruned, "
            << s.n_failed << " failed, " << s.n_reused << " repeated configurations reused"
            << (s.exhausted ? " (search space exhausted)" : "")
            << (s.timed_out ? " (timeout reached)" : "")
            << (s.study_full && !s.exhausted ? " (the study holds its n_trials)" : "") << ", "
            // 0.1 ms: a 20-trial PTQ loop takes ~16 ms, so ms steps hid 6 % changes in benches.
            << format_double(std::round(s.elapsed_s * 1e4) / 1e4) << " s\n";
  if (summary.best.empty()) {
    if (!summary.report_line.empty()) std::cout << summary.report_line << "\n";
    throw RunError("no trial completed (" + std::to_string(s.n_pruned) + " pruned, " +
                   std::to_string(s.n_failed) + " failed); see the FAIL reasons and " +
                   "infeasible (over-budget) trials in " + summary.save_dir + "/log.json");
  }
  std::cout << "Best trial(s):\n" << strategy::render_best_table(summary.best);
  for (const auto& path : summary.exported) std::cout << "Exported " << path << "\n";
  std::cout << "Results: " << summary.save_dir << "/{log.json,best.json}"
            << (summary.persistent
                    ? "; study '" + summary.study_name + "' in " + summary.storage + "\n"
                    : " (study kept in memory only)\n");
  if (!summary.report_line.empty()) std::cout << summary.report_line << "\n";
  return 0;
}

}  // namespace chop::cli
