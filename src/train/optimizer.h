// MASE's optimizers (adam, adamw, sgd with Nesterov momentum) and its per-epoch cosine schedule,
// run on one flat buffer per state so a step costs a handful of kernels, not a dozen per tensor.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "graph/graph.h"

namespace chop::train {

enum class OptimizerKind { kAdam, kAdamW, kSgd };

/// "adam" | "adamw" | "sgd" (case-insensitive); UserError listing the choices otherwise.
OptimizerKind parse_optimizer(const std::string& name);
const char* optimizer_name(OptimizerKind kind);

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kAdam;
  double learning_rate = 1e-3;
  double weight_decay = 0.0;  // adam: L2 added to the gradient; adamw: decoupled; sgd: L2
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // PyTorch's Adam/AdamW defaults
  double momentum = 0.9;                          // sgd (MASE: 0.9, nesterov)
  bool nesterov = true;
  bool decay_biases = true;  // false: "*.bias" parameters get no weight decay (basic_train)
};

/// Takes over the trainable parameters of a graph: their values move into one contiguous buffer
/// (each graph parameter becomes a leaf view of it) and their gradients into another, so
/// autograd accumulates in place and one step updates every parameter at once. The arithmetic
/// is element for element that of torch::optim::Adam / AdamW / SGD (PyTorch 1.13), so results
/// match them to rounding. release() (or the destructor) gives each parameter its own storage
/// again; the graph must outlive this object.
class FlatOptimizer {
 public:
  FlatOptimizer(graph::Graph& g, const OptimizerOptions& options);
  ~FlatOptimizer();
  FlatOptimizer(const FlatOptimizer&) = delete;
  FlatOptimizer& operator=(const FlatOptimizer&) = delete;

  void zero_grad();  // one fill of the flat gradient (gradients stay allocated)
  void step();       // one update with the current learning rate
  void set_learning_rate(double lr) { lr_ = lr; }
  double learning_rate() const { return lr_; }
  int64_t num_steps() const { return n_steps_; }
  int64_t num_elements() const { return flat_param_.defined() ? flat_param_.numel() : 0; }
  /// Gives every parameter back its own storage (values kept, gradients dropped). Idempotent.
  void release();

 private:
  void step_run(int64_t begin, int64_t n, double weight_decay);

  graph::Graph* graph_;
  OptimizerOptions opt_;
  double lr_;
  int64_t n_steps_ = 0;
  std::vector<at::Tensor*> params_;  // graph parameters now viewing flat_param_
  // Runs of consecutive elements with one weight decay (one run unless decay_biases is off).
  struct Run {
    int64_t begin, size;
    double weight_decay;
  };
  std::vector<Run> runs_;
  at::Tensor flat_param_, flat_grad_;
  at::Tensor exp_avg_, exp_avg_sq_, denom_;  // adam/adamw
  at::Tensor momentum_buf_;                  // sgd
};

/// torch.optim.lr_scheduler.CosineAnnealingLR, stepped once per epoch as Lightning does,
/// computed with PyTorch's recursive formula so the values match it bit for bit.
class CosineAnnealingSchedule {
 public:
  CosineAnnealingSchedule(double base_lr, int64_t t_max, double eta_min);
  double learning_rate() const { return lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  double step();  // advances one epoch and returns the new learning rate

 private:
  double base_lr_, eta_min_, lr_;
  int64_t t_max_, last_epoch_ = 0;
};

/// MASE's schedule per optimizer: cosine to 1e-6 for adam/adamw, to 0 for sgd, T_max = epochs.
CosineAnnealingSchedule mase_schedule(OptimizerKind kind, double base_lr, int64_t max_epochs);

}  // namespace chop::train
