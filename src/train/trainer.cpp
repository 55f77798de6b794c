// The training loop; see trainer.h. Per step (train_steps.h): the fused engine's forward,
// backward and update over its own buffers, or on the LibTorch path one index_select per tensor
// for the batch, the graph's forward, cross-entropy, backward into the flat gradient and one
// flat optimizer update.
#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <iostream>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/strings.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/train_steps.h"

namespace chop::train {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

void check_options(const graph::Graph& g, const data::TensorDataset& train_split,
                   const TrainOptions& o) {
  if (o.batch_size <= 0)
    throw UserError("--batch-size must be positive, got " + std::to_string(o.batch_size));
  if (o.max_epochs <= 0 && o.max_steps <= 0)
    throw UserError("nothing to train: --max-epochs and --max-steps are both <= 0");
  if (o.gradient_accumulation_steps < 1)
    throw UserError("gradient accumulation steps must be >= 1, got " +
                    std::to_string(o.gradient_accumulation_steps));
  if (!(o.learning_rate > 0.0) || !std::isfinite(o.learning_rate))
    throw UserError("--learning-rate must be a positive number, got " +
                    format_double(o.learning_rate));
  if (train_split.size() == 0)
    throw UserError("cannot train model '" + g.model_name() + "': the training split is empty");
}

DivergedError diverged(const std::string& what, int64_t epoch, int64_t step_in_epoch,
                       int64_t steps_per_epoch, int64_t global_step, double value,
                       const TrainOptions& o) {
  std::string msg = "training diverged: " + what + " is " + format_double(value) + " at epoch " +
                    std::to_string(epoch) + " (step " + std::to_string(step_in_epoch) + " of " +
                    std::to_string(steps_per_epoch) + ", global step " +
                    std::to_string(global_step) + "); lower --learning-rate (now " +
                    format_double(o.learning_rate) + ") or check the data for extreme values";
  if (!o.checkpoint_dir.empty())
    msg += "; checkpoints written before this point in " + o.checkpoint_dir + " are intact";
  return DivergedError(msg, epoch, global_step, value);
}

}  // namespace

namespace {

// What an interrupted training leaves behind: the checkpoints of its finished epochs.
std::string interrupted_message(int64_t epoch, int64_t step, const TrainResult& done,
                                const TrainOptions& o) {
  std::string msg = "training stopped in epoch " + std::to_string(epoch + 1) + " before step " +
                    std::to_string(step + 1) + "; ";
  if (done.epochs.empty()) return msg + "no epoch had finished, so no checkpoint was written";
  msg += std::to_string(done.epochs.size()) + " finished epoch(s)";
  if (o.checkpoint_dir.empty()) return msg + " (no checkpoint folder was set)";
  return msg + ": " + done.last_checkpoint + " (epoch " +
         std::to_string(done.epochs.back().epoch + 1) + ") and " + done.best_checkpoint +
         " are intact; continue with --load " + done.last_checkpoint;
}

}  // namespace

TrainResult train(graph::Graph& g, const data::TensorDataset& train_split,
                  const data::TensorDataset& val_split, const TrainOptions& o) {
  check_options(g, train_split, o);
  std::ostream& out = o.out ? *o.out : std::cout;
  const int64_t n_train = train_split.size();
  const int64_t steps_per_epoch = data::num_batches(n_train, o.batch_size);
  int64_t max_epochs = o.max_epochs;
  if (max_epochs <= 0) max_epochs = (o.max_steps + steps_per_epoch - 1) / steps_per_epoch;
  int64_t total_steps = max_epochs * steps_per_epoch;
  if (o.max_steps > 0) total_steps = std::min(total_steps, o.max_steps);

  // Data lives on the device once; batches are gathered there.
  data::TensorDataset train_data = train_split, val_data = val_split;
  if (train_data.x.device() != o.device)
    train_data = {train_data.x.to(o.device), train_data.y.to(o.device)};
  if (val_data.size() > 0 && val_data.x.device() != o.device)
    val_data = {val_data.x.to(o.device), val_data.y.to(o.device)};
  const data::TensorDataset& monitor = val_data.size() > 0 ? val_data : train_data;
  g.to(o.device);
  g.set_requires_grad(true);

  if (o.seed_global_rng) at::manual_seed(o.seed);
  data::Shuffler shuffler(o.seed);
  OptimizerOptions oo;
  oo.kind = o.optimizer;
  oo.learning_rate = o.learning_rate;
  oo.weight_decay = o.weight_decay;
  oo.decay_biases = o.decay_biases;
  TrainStepsOptions so;
  so.batch_size = o.batch_size;
  so.optimizer = oo;
  so.device = o.device;
  so.fused_engine = o.fused_engine;
  so.n_threads = o.n_threads;
  std::unique_ptr<TrainSteps> steps = make_train_steps(g, train_data, so);
  LearningRateSchedule schedule(o.schedule, o.optimizer, o.learning_rate, max_epochs,
                                total_steps);
  const int64_t accumulation = o.gradient_accumulation_steps;
  Progress progress(o.progress, max_epochs, steps_per_epoch, total_steps, out,
                    o.progress_interval_s);
  MetricsLog metrics(o.checkpoint_dir);
  TrainResult result;
  result.backend = steps->backend();
  result.flops_per_sample = steps->flops_per_sample();
  if (!o.checkpoint_dir.empty()) {
    result.best_checkpoint = o.checkpoint_dir + "/best.ckpt";
    result.last_checkpoint = o.checkpoint_dir + "/last.ckpt";
  }
  int64_t global_step = 0;
  for (int64_t epoch = 0; epoch < max_epochs; ++epoch) {
    if (o.max_steps > 0 && global_step >= o.max_steps) break;
    const double lr = schedule.epoch_rate();
    progress.start_epoch(epoch);
    auto t0 = Clock::now();
    at::Tensor order = shuffler.next(n_train);
    if (order.device() != o.device) order = order.to(o.device);
    double loss_sum = 0.0;
    int64_t correct = 0, seen = 0, step_in_epoch = 0;
    for (int64_t b = 0; b < steps_per_epoch; ++b) {
      if (o.max_steps > 0 && global_step >= o.max_steps) break;
      if (o.stop_on_interrupt && interrupt_requested())
        throw InterruptedError(interrupted_message(epoch, b, result, o));
      const StepOutcome s = steps->forward_backward(order, b, accumulation);
      const double loss_value = s.loss;
      ++step_in_epoch;
      ++global_step;
      if (!std::isfinite(loss_value))
        throw diverged("the training loss", epoch, step_in_epoch, steps_per_epoch, global_step,
                       loss_value, o);
      // One update per `accumulation` batches, and at the end of the epoch and of the run.
      if ((b + 1) % accumulation == 0 || b + 1 == steps_per_epoch || global_step == total_steps)
        steps->apply(schedule.at_step(global_step - 1));
      const int64_t n = s.rows;
      correct += s.correct;
      loss_sum += loss_value * static_cast<double>(n);
      seen += n;
      progress.on_step(step_in_epoch, global_step, seen, loss_sum / seen,
                       static_cast<double>(correct) / seen);
    }
    const double t_epoch_s = std::chrono::duration<double>(Clock::now() - t0).count();
    schedule.end_epoch();

    EpochReport r;
    r.epoch = epoch;
    r.global_step = global_step;
    r.learning_rate = lr;
    r.train_loss = loss_sum / static_cast<double>(seen);
    r.train_accuracy = static_cast<double>(correct) / static_cast<double>(seen);
    if (o.validate) {
      EvalResult v = steps->evaluate(monitor, o.val_num_samples);
      r.val_loss = v.loss;
      r.val_accuracy = v.accuracy;
      if (o.check_validation_loss && !std::isfinite(v.loss))
        throw diverged("the validation loss", epoch, step_in_epoch, steps_per_epoch, global_step,
                       v.loss, o);
    } else {
      r.val_loss = r.train_loss;
      r.val_accuracy = r.train_accuracy;
    }
    r.is_best = r.val_loss < result.best_val_loss;
    r.train_seconds = t_epoch_s;
    r.samples_per_s = t_epoch_s > 0 ? static_cast<double>(seen) / t_epoch_s : 0.0;
    if (r.is_best) {
      result.best_val_loss = r.val_loss;
      result.best_epoch = epoch;
    }
    result.samples_seen += seen;
    result.train_seconds += t_epoch_s;

    steps->sync();  // checkpoints and the callback see this epoch's weights
    if (!o.checkpoint_dir.empty()) {
      Json meta = o.checkpoint_meta;
      meta["epoch"] = epoch;
      meta["global_step"] = global_step;
      meta["optimizer"] = optimizer_name(o.optimizer);
      meta["learning_rate"] = o.learning_rate;
      meta["weight_decay"] = o.weight_decay;
      meta["batch_size"] = o.batch_size;
      meta["seed"] = o.seed;
      meta["train_loss"] = r.train_loss;
      meta["train_acc"] = r.train_accuracy;
      meta["val_loss"] = r.val_loss;
      meta["val_acc"] = r.val_accuracy;
      if (r.is_best) save_checkpoint(g, result.best_checkpoint, meta);
      save_checkpoint(g, result.last_checkpoint, meta);
    }
    metrics.append(r);
    result.epochs.push_back(r);
    if (o.progress != ProgressMode::kQuiet) {
      char line[320];
      std::snprintf(line, sizeof line,
                    "epoch %lld/%lld  train loss %.4f acc %.4f  val loss %.4f acc %.4f  lr %.3g  "
                    "%s samples/s%s",
                    static_cast<long long>(epoch + 1), static_cast<long long>(max_epochs),
                    r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy, lr,
                    with_thousands(std::llround(r.samples_per_s)).c_str(),
                    r.is_best ? "  (best)" : "");
      progress.print_line(line);
    }
    if (o.on_epoch_end) {
      if (!o.on_epoch_end(r)) {
        result.stopped_early = true;
        break;
      }
      steps->reload();  // the callback may have changed the graph
    }
  }
  result.global_step = global_step;
  result.samples_per_s = result.train_seconds > 0
                             ? static_cast<double>(result.samples_seen) / result.train_seconds
                             : 0.0;
  return result;
}

}  // namespace chop::train
