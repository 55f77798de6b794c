// The per-step half of the training loop, on one of two backends: the fused engine (chosen for
// CPU float graphs it covers) or the LibTorch path (runtime::forward, autograd, FlatOptimizer).
// The loop in trainer.cpp (epochs, schedule, checkpoints, progress) is the same for both, and so
// are the numbers: both run the shared kernels.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>

#include "data/dataset.h"
#include "graph/graph.h"
#include "train/evaluate.h"
#include "train/optimizer.h"

namespace chop::train {

struct StepOutcome {
  double loss = 0.0;  // mean cross-entropy of the batch
  int64_t correct = 0;
  int64_t rows = 0;
};

class TrainSteps {
 public:
  virtual ~TrainSteps() = default;
  /// Forward and backward of batch `batch_index` of the epoch order; its gradients, divided by
  /// `accumulation` (gradient accumulation), add to those since the last apply(). The caller
  /// checks the loss before apply().
  virtual StepOutcome forward_backward(const at::Tensor& order, int64_t batch_index,
                                       int64_t accumulation) = 0;
  /// The optimizer update with learning rate `lr`; the gradients start from zero again.
  virtual void apply(double lr) = 0;
  /// Inference metrics of the current parameters.
  virtual EvalResult evaluate(const data::TensorDataset& split, int64_t num_samples) = 0;
  /// Makes the graph's tensors hold the current parameters and statistics (before checkpoints,
  /// callbacks and on every way out of the loop).
  virtual void sync() = 0;
  /// Takes the graph's tensors back in (a callback may have changed them).
  virtual void reload() {}
  /// "fused engine (avx512)" or "LibTorch".
  virtual std::string backend() const = 0;
  /// 2 x multiply-adds of forward + backward per sample (0: not known).
  virtual double flops_per_sample() const { return 0.0; }
};

struct TrainStepsOptions {
  int64_t batch_size = 128;
  OptimizerOptions optimizer;
  at::Device device = at::kCPU;
  bool fused_engine = true;  // false: always the LibTorch path
  int n_threads = 0;         // the engine's GEMM threads (0: LibTorch's intra-op count)
};

/// The engine when it covers `g` (and the data is CPU float / int64); else the LibTorch path,
/// saying once why. `g` must already be on options.device with requires_grad set. The LibTorch
/// path is not made for several trainings at once: its steps objects exist one at a time per
/// process (a second one waits), while engine steps run in parallel.
std::unique_ptr<TrainSteps> make_train_steps(graph::Graph& g, const data::TensorDataset& train_data,
                                             const TrainStepsOptions& options);

}  // namespace chop::train
