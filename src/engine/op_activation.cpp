// ReLU family: relu (with MASE's unsigned input quantizer and an optional output quantizer),
// relu6 and hardtanh (clamps; ATen's hardtanh_backward mask). Elementwise over the batch.
#include "engine/ops.h"

namespace chop::engine {
namespace {

class ReluOp : public Op {
 public:
  ReluOp(int64_t size, const OpBuildInfo& info)
      : size_(size), shape_(info.out_shape), q_in_(info.data_in), q_out_(info.data_out) {}

  int64_t scratch_floats(int64_t rows, bool) const override {
    return q_out_.active() ? rows * size_ : 0;
  }
  void bind_scratch(float* s) override { relu_out_ = s; }

  bool rows_independent() const override { return q_in_.elementwise() && q_out_.elementwise(); }
  bool plain_relu() const override { return !q_in_.active() && !q_out_.active(); }
  void fuse_into_producer() override { fused_ = true; }
  bool passes_layout() const override { return fused_; }

  void forward(const RunContext& ctx) override {
    if (fused_) return;  // the producer wrote relu(y) into the shared buffer
    const int64_t n = ctx.rows * size_;
    const float* x = ctx.value_data(inputs[0]);
    float* y = ctx.value_data(output);
    float* r = q_out_.active() ? relu_out_ : y;  // relu's own result: the backward mask
    if (q_in_.active()) {
      q_in_.apply(*ctx.kt, x, r, with_rows(ctx.rows, shape_));
      ctx.kt->relu(r, r, n);
    } else {
      ctx.kt->relu(x, r, n);
    }
    if (q_out_.active()) q_out_.apply(*ctx.kt, r, y, with_rows(ctx.rows, shape_));
  }

  void backward(const RunContext& ctx) override {
    if (fused_ || !ctx.needs_grad(inputs[0])) return;  // fused: the producer masks
    const float* r = q_out_.active() ? relu_out_ : ctx.value_data(output);
    ctx.kt->relu_backward(r, ctx.value_grad(output), ctx.begin_grad(inputs[0]), ctx.rows * size_,
                          false);
    ctx.end_grad(inputs[0]);
  }

 private:
  int64_t size_;
  std::vector<int64_t> shape_;
  OperandQuantizer q_in_, q_out_;
  float* relu_out_ = nullptr;
  bool fused_ = false;
};

class ClampOp : public Op {
 public:
  ClampOp(int64_t size, float lo, float hi) : size_(size), lo_(lo), hi_(hi) {}

  void forward(const RunContext& ctx) override {
    ctx.kt->clamp(ctx.value_data(inputs[0]), ctx.value_data(output), ctx.rows * size_, lo_, hi_);
  }
  void backward(const RunContext& ctx) override {
    if (!ctx.needs_grad(inputs[0])) return;
    ctx.kt->clamp_backward(ctx.value_data(inputs[0]), ctx.value_grad(output),
                           ctx.begin_grad(inputs[0]), ctx.rows * size_, lo_, hi_, false);
    ctx.end_grad(inputs[0]);
  }

 private:
  int64_t size_;
  float lo_, hi_;
};

}  // namespace

OpMade make_activation(const OpBuildInfo& info) {
  const graph::Node& n = *info.node;
  const int64_t size = product(info.out_shape);
  OpMade made;
  if (n.mase_op == "relu") {
    made.op = std::make_unique<ReluOp>(size, info);
  } else if (n.mase_op == "relu6") {
    made.op = std::make_unique<ClampOp>(size, 0.0f, 6.0f);
  } else {  // hardtanh: ATen converts the double bounds to float for a float tensor
    made.op = std::make_unique<ClampOp>(size, static_cast<float>(n.attrs.value("min_val", -1.0)),
                                        static_cast<float>(n.attrs.value("max_val", 1.0)));
  }
  return made;
}

}  // namespace chop::engine
