// sw runner "basic_train": trains the candidate (fake-quantized when the graph is quantized, with
// straight-through gradients) with train::train, the one training loop (fused engine or LibTorch
// path, same numbers), reporting validation accuracy after every epoch to the trial so pruners
// can stop it. MASE's keys; HuggingFace-style per-step schedules with warm-up.
#include <cfloat>

#include "core/error.h"
#include "core/log.h"
#include "runners/runner.h"
#include "search/trial.h"
#include "train/trainer.h"

namespace chop::runners {
namespace {

class BasicTrain : public Runner {
 public:
  BasicTrain(train::TrainOptions o, int64_t num_samples)
      : o_(std::move(o)), num_samples_(num_samples) {}

  Json run(graph::Graph& g, RunnerEnv& env) override {
    CHOP_ASSERT(env.data, "basic_train needs data");
    train::TrainOptions o = o_;
    o.batch_size = env.batch_size;
    o.seed = env.seed;
    o.device = env.device;
    o.n_threads = env.n_threads;
    // num_samples: train on this many samples (whole batches) at most, over all epochs.
    if (num_samples_ > 0) o.max_steps = (num_samples_ + o.batch_size - 1) / o.batch_size;
    const data::TensorDataset& train_split = env.data->train;
    const int64_t steps_per_epoch = data::num_batches(train_split.size(), o.batch_size);
    int64_t total_steps = steps_per_epoch * o.max_epochs;
    if (o.max_steps > 0) total_steps = std::min(total_steps, o.max_steps);
    o.on_epoch_end = [&env, total_steps](const train::EpochReport& r) {
      if (!env.trial) return true;
      env.trial->report(r.epoch, r.val_accuracy);
      // After the last epoch the trial completes: its result is this evaluation.
      if (r.global_step < total_steps && env.trial->should_prune()) throw search::TrialPruned();
      return true;
    };
    train::TrainResult result;
    try {
      result = train::train(g, train_split, env.data->val, o);
    } catch (const train::DivergedError& e) {
      g.set_requires_grad(false);
      throw RunError("basic_train: the loss became " + std::to_string(e.value) + " at epoch " +
                     std::to_string(e.epoch) + ", step " + std::to_string(e.global_step - 1) +
                     "; lower learning_rate");
    } catch (...) {
      g.set_requires_grad(false);
      throw;
    }
    g.set_requires_grad(false);
    const train::EpochReport& last = result.epochs.back();
    return Json{{"loss", last.val_loss}, {"accuracy", last.val_accuracy}};
  }

 private:
  train::TrainOptions o_;  // the runner's options; batch, seed, device and threads per run
  int64_t num_samples_;    // <= 0: every epoch in full
};

}  // namespace

std::unique_ptr<Runner> make_basic_train(const RunnerEntry& /*entry*/,
                                         const config::TableReader& o) {
  // MASE lab configs carry these; chop's basic_train trains on the training split and reports
  // loss and accuracy, so they change nothing: one warning each, unless they say just that.
  if (o.has("name"))
    log_warning(o.locate("name") + ": ignored (basic_train reports loss and accuracy; the "
                                   "objective is chosen by [search.strategy.metrics])");
  if (o.has("data_loader") && o.get_json("data_loader") != "train_dataloader")
    log_warning(o.locate("data_loader") + ": ignored; basic_train trains on the training split "
                                          "(train_dataloader) and evaluates on validation");
  train::TrainOptions c;
  c.max_epochs = o.get_int("max_epochs", 1, 1);
  const int64_t num_samples = o.get_int("num_samples", -1, -1);
  c.optimizer = train::parse_optimizer(o.get_string("optimizer", "adam", {"adam", "adamw", "sgd"}));
  // Parameters are float32: larger values would turn into inf inside the optimizer.
  c.learning_rate = o.get_double("learning_rate", 1e-3, 0.0, FLT_MAX);
  if (c.learning_rate <= 0)
    throw ConfigError(o.locate("learning_rate"), "learning_rate must be positive");
  c.weight_decay = o.get_double("weight_decay", 0.0, 0.0, FLT_MAX);
  c.decay_biases = false;  // MASE: biases get no weight decay
  c.schedule.kind = train::parse_step_schedule(
      o.get_string("lr_scheduler", "constant", {"constant", "linear", "cosine"}));
  c.schedule.num_warmup_steps = o.get_int("num_warmup_steps", 0, 0);
  c.gradient_accumulation_steps = o.get_int("gradient_accumulation_steps", 1, 1);
  c.val_num_samples = o.get_int("eval_num_samples", -1, -1);
  // Trials may train in parallel and a search stops between trials: no global seeding, no
  // Ctrl-C inside a trial; a non-finite validation loss is the trial's result, as it is.
  c.seed_global_rng = false;
  c.stop_on_interrupt = false;
  c.check_validation_loss = false;
  c.progress = train::ProgressMode::kQuiet;
  return std::make_unique<BasicTrain>(c, num_samples);
}

}  // namespace chop::runners
