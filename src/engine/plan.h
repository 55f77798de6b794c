// The engine's compiled form of a graph (internal): values (one activation per graph node, as
// rows of a batch), the buffers behind them, and one Op per node with hand-written forward and
// backward passes. Everything is allocated once, when the plan is built.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "kernels/gemm.h"
#include "kernels/kernels.h"

namespace chop::engine {

using kernels::GemmArgs;
using kernels::GemmInit;
using kernels::KernelTable;
using kernels::TaskRunner;

/// Storage for activations: max_rows rows of `row_floats` each, and the gradient when a
/// parameter upstream needs it. Values that only re-shape (flatten, view, eval dropout)
/// share their input's buffer.
struct Buffer {
  int64_t row_floats = 0;
  float* data = nullptr;
  float* grad = nullptr;
  bool grad_written = false;  // during a backward pass: the first writer overwrites
};

struct Value {
  std::string node;            // producing graph node
  std::vector<int64_t> shape;  // one sample's shape (no batch dimension)
  int64_t size = 1;            // floats per sample
  int buffer = -1;
  bool needs_grad =
      false;  // some trainable parameter (or the requested input gradient) is upstream
};

/// A trainable parameter or a persistent buffer in the engine's flat arrays.
struct ParamSlot {
  int node = -1;       // index into graph nodes
  std::string name;    // "weight", "bias"
  int64_t offset = 0;  // into the flat parameter (and gradient) array
  int64_t numel = 0;
  std::vector<int64_t> shape;  // the graph tensor's shape
  bool transposed = false;     // a 2-D parameter kept as its transpose (see Op::keeps_transposed)
};

struct Plan;

/// What an op sees while it runs: the rows of this batch, the mode, kernels and scratch.
struct RunContext {
  Plan* plan = nullptr;
  int64_t rows = 0;
  bool training = false;  // batch statistics in batch norm

  const KernelTable* kt = nullptr;
  const TaskRunner* threads = nullptr;
  uint64_t params_version = 0;  // changes whenever the parameters change (pull, step)

  float* value_data(int v) const;
  float* value_grad(int v) const;
  /// Where an op writes (overwrites) its contribution to input v's gradient: the gradient itself
  /// the first time in a backward pass, else a scratch buffer that end_grad() adds to it. So a
  /// value used twice gets old + new, as autograd sums it, whatever the op.
  float* begin_grad(int v) const;
  void end_grad(int v) const;
  /// old + src (or src the first time) for input v: begin_grad/end_grad for a plain copy.
  void add_grad(int v, const float* src) const;
  bool needs_grad(int v) const;
  float* param(int64_t offset) const;
  float* param_grad(int64_t offset) const;
  float* gemm_scratch() const;
  void gemm(const GemmArgs& args) const;
};

class Op {
 public:
  virtual ~Op() = default;
  virtual void forward(const RunContext& ctx) = 0;
  virtual void backward(const RunContext& ctx) = 0;
  /// Floats of GEMM scratch this op needs at `max_rows` (0: none).
  virtual int64_t gemm_scratch_floats(const KernelTable& kt, int64_t max_rows) const { return 0; }
  /// Floats of private scratch (allocated by the plan before bind_scratch).
  virtual int64_t scratch_floats(int64_t max_rows, bool training) const { return 0; }
  virtual void bind_scratch(float* scratch) {}
  /// True when, in inference, each output row depends only on the same input row (false for an
  /// activation quantizer whose blocks span rows).
  virtual bool rows_independent() const { return true; }
  /// Multiply-adds x 2 per sample of forward + backward (input gradient when `input_grad`).
  virtual double train_flops_per_sample(bool input_grad) const { return 0.0; }
  /// Persistent state (batch-norm running statistics) to and from the graph.
  virtual void pull_state(const graph::Node& node) {}
  virtual void push_state(graph::Node& node) const {}

  /// True when the 2-D parameter `name` is kept transposed in the flat arrays (the optimizer is
  /// elementwise, so only this op and the copies to and from the graph see the layout).
  virtual bool keeps_transposed(const std::string& name) const { return false; }
  /// ReLU fusion (Engine::compile): a plain ReLU (no quantizers) whose input only it reads may
  /// run inside the op producing that input. take_relu() is the producer's offer: true when it
  /// will write relu(y) itself and mask its output gradient (ReLU's backward) before using it.
  /// The ReLU then becomes an alias of its input (fuse_into_producer()).
  virtual bool plain_relu() const { return false; }
  /// True when the op, reading the network's input unchanged as input 0, would pack that input's
  /// transpose for a product of its backward pass (a linear layer's weight gradient x^T g): the
  /// training batch is then gathered straight into those panels too (Plan::input_t).
  virtual bool packs_input_transposed(const KernelTable& kt) const { return false; }
  virtual bool take_relu() { return false; }
  virtual void fuse_into_producer() {}
  /// Class-major logits (EngineOptions::class_major_logits): true when the op writes nothing and
  /// its output is its input (an alias, a fused ReLU), so the layout passes through it.
  virtual bool passes_layout() const { return false; }
  /// The producer's offer to write its [rows, n] output class-major (y(r, c) at c * rows + r) in
  /// inference; true when it will.
  virtual bool write_class_major() { return false; }
  /// Offset of the node's parameter `name` in the flat arrays; -1 when the node has none.
  int64_t param_offset(const std::string& name) const;

  int node = -1;                                               // graph node index
  std::vector<int> inputs;                                     // value ids
  int output = -1;                                             // value id
  std::vector<std::pair<std::string, int64_t>> param_offsets;  // set by the compiler
  int64_t weight_offset = -1, bias_offset = -1;  // the same for "weight" and "bias" (hot paths)
};

/// 64-byte aligned float storage, allocated once. Released blocks go to a small per-thread
/// pool: a search compiles one engine per trial, and reusing the last trial's pages saves the
/// page faults and zeroing of fresh memory on every one.
class AlignedFloats {
 public:
  /// Replaces any previous storage; the contents are zero only when `zero` is set.
  void allocate(int64_t n, bool zero = true);
  float* data() const { return data_.get(); }
  int64_t size() const { return size_; }

 private:
  struct Free {
    size_t bytes;  // value-initialised (0) with the pointer
    void operator()(float* p) const;
  };
  std::unique_ptr<float, Free> data_;
  int64_t size_ = 0;
};

struct Plan {
  std::vector<Buffer> buffers;
  std::vector<Value> values;
  std::vector<std::unique_ptr<Op>> ops;  // graph order
  std::vector<ParamSlot> params;
  int input_value = -1;
  int logits_value = -1;
  bool logits_class_major = false;  // forward() writes logit (r, c) at c * rows + r
  int64_t max_rows = 0;
  int64_t n_param_floats = 0;
  AlignedFloats param_data, param_grad;  // flat, in ParamSlot order
  AlignedFloats param_grad_fresh;        // this backward's gradients when accumulating
  float* params_grad_target = nullptr;   // param_grad, or param_grad_fresh when accumulating
  float* grad_scratch = nullptr;         // a second gradient's contribution (begin_grad)
  int64_t rows = 0;                      // rows of the pass in progress
  AlignedFloats arena;                   // activations, gradients, scratch
  /// The training batch as gemm()'s packed A for x^T (input rows x batch rows), written by the
  /// gather when an op packs_input_transposed(); input_t_rows: the rows it holds now (0: none,
  /// e.g. after an inference pass).
  AlignedFloats input_t;
  int64_t input_t_rows = 0;
  float* gemm_scratch = nullptr;
};

}  // namespace chop::engine
