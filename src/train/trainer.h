// Training a graph on an in-memory split: MASE's optimizers and schedules, seeded shuffles,
// per-epoch validation, best/last checkpoints, metrics log, progress, and a per-epoch callback
// that search pruners use to watch intermediate results and stop early.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <iosfwd>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/dataset.h"
#include "graph/graph.h"
#include "train/metrics_log.h"
#include "train/optimizer.h"
#include "train/progress.h"
#include "train/schedule.h"

namespace chop::train {

/// Return false to stop training after this epoch (its checkpoints are written first). May
/// throw, e.g. to prune a search trial; the graph then keeps the weights of that epoch.
using EpochCallback = std::function<bool(const EpochReport&)>;

struct TrainOptions {
  int64_t max_epochs = 20;  // <= 0: no epoch limit (max_steps must be set)
  int64_t max_steps = -1;   // <= 0: no step limit; else stop after this many batches
  int64_t batch_size = 128;
  OptimizerKind optimizer = OptimizerKind::kAdam;
  double learning_rate = 1e-5;
  double weight_decay = 0.0;
  uint64_t seed = 0;  // shuffles (torch.randperm with a seeded generator) and at::manual_seed
  at::Device device = at::kCPU;
  /// Where best.ckpt, last.ckpt, metrics.csv and metrics.jsonl go; empty: no files.
  std::string checkpoint_dir;
  /// Extra fields stored in every checkpoint's metadata (data set name, input shape, ...).
  nlohmann::ordered_json checkpoint_meta = nlohmann::ordered_json::object();
  /// Evaluate the validation split after every epoch; false: "best" follows the training loss.
  bool validate = true;
  int64_t val_num_samples = -1;  // > 0: validate on a prefix of the split (whole batches)
  ProgressMode progress = ProgressMode::kQuiet;  // kQuiet prints nothing at all
  std::ostream* out = nullptr;                   // progress and epoch lines; null: std::cout
  double progress_interval_s = 10.0;             // kLines: seconds between step lines
  EpochCallback on_epoch_end;
  /// Train on the fused engine when it covers the graph (CPU); false: the LibTorch path.
  bool fused_engine = true;
  int n_threads = 0;  // the engine's GEMM threads (0: LibTorch's intra-op count); same results

  // What search's basic_train sets differently from `chop train`:
  ScheduleOptions schedule;  // default: MASE's per-epoch cosine
  int64_t gradient_accumulation_steps = 1;  // one update per this many batches (and epoch end)
  bool decay_biases = true;                 // false: "*.bias" parameters get no weight decay
  /// at::manual_seed(seed) first; false where other threads use the global generator (trials
  /// training in parallel).
  bool seed_global_rng = true;
  /// Ctrl-C between batches throws InterruptedError; false: the caller stops at its own
  /// boundary (a search finishes the running trial).
  bool stop_on_interrupt = true;
  /// A non-finite validation loss throws DivergedError; false: it is reported as it is.
  bool check_validation_loss = true;
};

/// The loss became NaN or infinite (RunError with the message for `chop train`); callers with
/// their own words use the fields.
class DivergedError : public RunError {
 public:
  DivergedError(const std::string& message, int64_t epoch, int64_t global_step, double value)
      : RunError(message), epoch(epoch), global_step(global_step), value(value) {}
  int64_t epoch;        // 0-based
  int64_t global_step;  // batches trained, this one included
  double value;
};

struct TrainResult {
  std::vector<EpochReport> epochs;
  int64_t global_step = 0;
  int64_t samples_seen = 0;
  double train_seconds = 0.0;  // training steps only (no validation, no checkpoints)
  double samples_per_s = 0.0;
  int64_t best_epoch = -1;
  double best_val_loss = std::numeric_limits<double>::infinity();
  bool stopped_early = false;                    // on_epoch_end returned false
  std::string backend;                           // "fused engine (avx512)" or "LibTorch"
  double flops_per_sample = 0.0;                 // forward + backward (0: not known)
  std::string best_checkpoint, last_checkpoint;  // empty without checkpoint_dir
};

/// Trains `g` in place on `train_split`, validating on `val_split` (an empty split means
/// validating on the training split, as MASE does for JSC). With one intra-op thread, the same
/// seed gives bit-identical weights, checkpoints and metrics. Throws UserError for bad options,
/// DivergedError when the loss becomes NaN/inf (naming the epoch and step; checkpoints already
/// written are left intact).
TrainResult train(graph::Graph& g, const data::TensorDataset& train_split,
                  const data::TensorDataset& val_split, const TrainOptions& options);

}  // namespace chop::train
