// The fused execution engine: compiles a graph into a plan over buffers allocated once (per
// candidate), then runs training steps (forward, softmax cross-entropy, backward, MASE's
// adam/adamw/sgd update) and inference with hand-written vectorised kernels, no autograd
// graph and no allocation per step. Covers chains and DAGs of linear, conv1d/conv2d, batch
// norm, the ReLU family, pooling, flatten/view, dropout (when it is the identity) and residual
// add, in float and fake-quantized (straight-through) form; compile() says why when a graph
// has anything else, and the caller keeps the LibTorch path for it.
//
// Results agree with the LibTorch path to rounding (tests/engine check 1e-5 relative over
// hundreds of steps) and are bit-identical for any thread count: every sum runs in a fixed
// order inside one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "kernels/isa.h"

namespace chop::engine {

using kernels::Isa;

enum class OptimizerKind { kAdam, kAdamW, kSgd };

/// train/optimizer.h's options (the engine sits below the train layer), plus MASE's
/// basic_train rule that biases get no weight decay (decay_biases = false).
struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::kAdam;
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double momentum = 0.9;
  bool nesterov = true;
  bool decay_biases = true;
};

struct EngineOptions {
  int64_t max_rows = 256;   // largest batch the plan holds
  bool training = true;     // false: inference only (no gradients, no optimizer state)
  bool input_grad = false;  // also compute the loss gradient of the graph input (tests)
  int n_threads = 1;        // GEMM threads; 0: LibTorch's intra-op count. Results are the same.
  Isa isa = kernels::default_isa();
  OptimizerSpec optimizer;
  /// Inference: the op computing the logits may write them class-major (logit (r, c) at
  /// c * n + r for a forward() of n rows), when it offers to and nothing else reads them:
  /// Engine::logits_class_major() says whether it does. For metrics that read a class of
  /// several rows at once (train/row_metrics.h) — a narrow head's output then needs no gather.
  bool class_major_logits = false;
  /// When set, the plan holds the rows this returns (at least 1) for its floats of activation
  /// memory per row and whether rows are independent, instead of max_rows (which then only
  /// checks shapes): callers that size forward() calls to the cache compile once, not twice.
  std::function<int64_t(int64_t floats_per_row, bool rows_independent)> choose_max_rows;
};

struct StepStats {
  double loss = 0.0;    // mean cross-entropy of the batch (before loss_scale)
  int64_t correct = 0;  // rows whose first maximum logit is the label
};

class Engine {
 public:
  /// Builds the plan for graph `g` and samples of `sample_shape` (no batch dimension) and
  /// pulls the parameters. Null, with `why_not` naming the node and the reason, when the graph
  /// has something the engine does not run (the caller then uses the LibTorch path). The graph
  /// must outlive the engine and keep its structure; push() writes results back into it.
  static std::unique_ptr<Engine> compile(graph::Graph& g, const std::vector<int64_t>& sample_shape,
                                         const EngineOptions& options, std::string* why_not);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Copies the graph's parameters and batch-norm statistics into the engine.
  void pull();
  /// Writes parameters and batch-norm statistics back into the graph's tensors (in place, so
  /// views and version counters see the change).
  void push();

  /// The next forward_backward() overwrites the parameter gradients instead of adding.
  void zero_grad();
  /// One training forward and backward on rows index[0..n) of `data` (row-major samples of
  /// sample_size() floats; index null: the first n rows) with int64 `labels` (already in batch
  /// order). The loss gradient is scaled by loss_scale (gradient accumulation).
  StepStats forward_backward(const float* data, const int64_t* index, const int64_t* labels,
                             int64_t n, double loss_scale = 1.0);
  /// One optimizer update with learning rate `lr` (MASE's step counter for Adam's bias
  /// correction counts these calls).
  void step(double lr);
  /// Inference (batch norm on running statistics) on n rows; returns logits [n, n_classes()]
  /// (class-major, [n_classes(), n], when logits_class_major()), valid until the next call.
  const float* forward(const float* data, const int64_t* index, int64_t n);

  /// Whether forward() returns the logits class-major (EngineOptions::class_major_logits).
  bool logits_class_major() const;
  int64_t sample_size() const;
  int64_t n_classes() const;
  int64_t max_rows() const;
  int64_t num_parameters() const;
  int64_t num_steps() const;
  Isa isa() const;
  /// True when inference rows do not depend on each other (no block-quantized activation), so
  /// several batches can run in one forward() with the same per-row results.
  bool rows_independent() const;
  /// Floats of activation memory per row of a batch (to size forward() calls).
  int64_t floats_per_row() const;
  /// Multiply-adds x 2 of one training step (forward + backward) per sample, for GFLOP/s.
  double train_flops_per_sample() const;

  /// Tests: the gradient of a parameter ("seq_blocks.2.weight") or of the input (rows used in
  /// the last forward_backward, with input_grad on), as tensors.
  at::Tensor param_grad(const std::string& state_name) const;
  at::Tensor input_grad() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// False when the environment variable CHOP_ENGINE is "0" or "off", or after
/// set_engine_enabled(false): training and evaluation then stay on the LibTorch path (for
/// comparisons and debugging).
bool engine_enabled();
void set_engine_enabled(bool on);

/// Logs, once per process and reason, that `what` runs on the LibTorch path instead of the
/// fused engine and why. Thread-safe.
void note_fallback(const std::string& what, const std::string& why_not);

}  // namespace chop::engine
