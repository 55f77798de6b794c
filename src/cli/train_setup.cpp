// The base-model training shared by `chop train` and `chop search --train-base`: the resolved
// options become train::TrainOptions and the trainer (src/train) runs them; no loop of its own.
#include "cli/train_setup.h"

#include <ATen/Parallel.h>

#include <cstdio>
#include <iostream>

#include "core/log.h"
#include "core/strings.h"
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

BaseTraining train_base_model(const ActionContext& ctx, const std::string& model, graph::Graph& g,
                              const data::Splits& splits, const std::string& project_root,
                              const c10::Device& device) {
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
  o.checkpoint_dir = train::training_checkpoint_dir(project_root);
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
  return {r.best_checkpoint, r.last_checkpoint};
}

}  // namespace chop::cli
