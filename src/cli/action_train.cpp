// `chop train MODEL DATASET`: MASE's train action. Builds the model for the data set, optionally
// loads --load weights, trains with MASE's optimizer/schedule, and writes best.ckpt, last.ckpt
// and the metrics log to <project_dir>/<project>/software/training_ckpts.
#include <ATen/Parallel.h>
#include <algorithm>
#include <cstdio>

#include <iostream>

#include "cli/action.h"
#include "cli/model_setup.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/verify.h"
#include "runtime/executor.h"
#include "train/project.h"
#include "train/trainer.h"

namespace chop::cli {
namespace {

bool set_by_user(const config::RunConfig& cfg, const std::string& dest) {
  for (const auto& r : cfg.rows)
    if (r.dest == dest) return r.cli_value.has_value() || r.toml_value.has_value();
  return false;
}

}  // namespace

int run_train(ActionContext& ctx) {
  // Ctrl-C stops at the next safe point (between steps / trials), keeps the finished work and
  // exits 130. Only actions with safe points take over the signal; others keep the default.
  install_interrupt_handlers();
  const std::string model = model_name(ctx);
  const std::string dataset = dataset_name(ctx);
  require_model_and_dataset("train", model, dataset);
  std::cout << ctx.cfg.render_table() << std::flush;
  set_threads(ctx);
  const at::Device device = device_for(ctx);

  data::Splits splits = load_data_for(ctx, model, dataset);
  models::ModelOptions mo = model_options_for(ctx, model, splits.info);
  graph::Graph g = interop::build_model(model_source(model), mo, &splits.info);
  graph::Shape in_shape = splits.train.x.sizes().vec();
  // A batch never holds more rows than the split.
  in_shape[0] = std::min<int64_t>(ctx.cfg.integer("batch_size"), splits.train.size());
  check_batch_memory(graph::verify(g, in_shape), /*backward=*/true);
  if (!ctx.cfg.is_null("load_name")) load_weights_for(ctx, g);

  const std::string root = project_folder(ctx, model, dataset).path;

  train::TrainOptions o;
  o.max_epochs = ctx.cfg.integer("max_epochs");
  o.max_steps = ctx.cfg.integer("max_steps");
  o.batch_size = ctx.cfg.integer("batch_size");
  o.optimizer = train::parse_optimizer(ctx.cfg.str("training_optimizer"));
  o.learning_rate = ctx.cfg.number("learning_rate");
  o.weight_decay = ctx.cfg.number("weight_decay");
  if (o.optimizer == train::OptimizerKind::kSgd && !set_by_user(ctx.cfg, "weight_decay")) {
    o.weight_decay = 5e-4;  // MASE's SGD always uses 5e-4; an explicit value wins in chop
    log_info("sgd: weight decay 5e-4 (MASE's value; set --weight-decay to override)");
  }
  if (ctx.cfg.integer("accumulate_grad_batches") != 1)
    log_warning(
        "--accumulate-grad-batches is not supported by chop train; using 1 (one optimizer "
        "step per batch)");
  o.seed = static_cast<uint64_t>(ctx.cfg.integer("seed"));
  o.device = device;
  o.checkpoint_dir = train::training_checkpoint_dir(root);
  o.progress = train::ProgressMode::kAuto;
  o.checkpoint_meta = {{"dataset", splits.info.name},
                       {"input_shape", splits.info.input_shape},
                       {"n_classes", splits.info.n_classes},
                       {"data_source", splits.info.source}};
  std::cout << "Training " << model << " (" << with_thousands(g.num_parameters())
            << " parameters) on " << splits.info.name << ": " << with_thousands(splits.train.size())
            << " training samples, batch " << o.batch_size << ", "
            << train::optimizer_name(o.optimizer) << " lr " << format_double(o.learning_rate)
            << ", " << at::get_num_threads() << " thread(s)\n";
  train::TrainResult r = train::train(g, splits.train, splits.val, o);
  const auto& best = r.epochs.at(static_cast<size_t>(r.best_epoch));
  char best_text[128];
  std::snprintf(best_text, sizeof best_text, "epoch %lld, val loss %.4f, val acc %.4f",
                static_cast<long long>(best.epoch), best.val_loss, best.val_accuracy);
  std::cout << "Trained " << r.epochs.size() << " epoch(s), " << with_thousands(r.global_step)
            << " steps, " << with_thousands(std::llround(r.samples_per_s)) << " samples/s\n"
            << "Best checkpoint (" << best_text << "): " << r.best_checkpoint << "\n"
            << "Last checkpoint: " << r.last_checkpoint << "\n"
            << "Metrics: " << o.checkpoint_dir << "/metrics.csv\n";
  return 0;
}

}  // namespace chop::cli
