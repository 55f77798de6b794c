// linear: y = Q_out(Q_in(x) Q_w(W)^T + Q_b(b)), as runtime/kernels.cpp computes it (the forward
// product sums from the bias in the same order as runtime/linear_cpu, so float results agree
// bit for bit). Backward: dx = g Q_w(W), dW = g^T Q_in(x), db = column sums of g; the
// quantizers pass gradients straight through.
#include <algorithm>

#include "engine/ops.h"

namespace chop::engine {
namespace {

class LinearOp : public Op {
 public:
  LinearOp(int64_t in, int64_t out, bool has_bias, const OpBuildInfo& info)
      : in_(in),
        out_(out),
        has_bias_(has_bias),
        q_in_(info.data_in),
        q_w_(info.weight),
        q_b_(info.bias),
        q_out_(info.data_out),
        // W^T [in, out] gives the forward product contiguous rows of B (no transposing copy
        // per step) and the weight gradient out-wide rows; for a narrow output (the classifier)
        // the natural layout keeps those products wide. A block quantizer needs the weight's
        // own [out, in] shape.
        transposed_(q_w_.elementwise() && out >= 32) {}

  // The weight gradient x^T g packs x^T (gemm packs A when several column panels reuse it);
  // without an input quantizer, that is the batch itself, packed by the gather instead.
  bool packs_input_transposed(const KernelTable& kt) const override {
    return transposed_ && !q_in_.active() && in_ >= 2 * kt.mr && out_ >= 2 * kt.nr;
  }

  bool keeps_transposed(const std::string& name) const override {
    return name == "weight" && transposed_;
  }

  int64_t gemm_scratch_floats(const KernelTable& kt, int64_t rows) const override {
    return std::max({kernels::gemm_scratch_floats(kt, rows, out_, in_),
                     kernels::gemm_scratch_floats(kt, rows, in_, out_),
                     kernels::gemm_scratch_floats(kt, out_, in_, rows),
                     kernels::gemm_scratch_floats(kt, out_, rows, in_)});
  }
  int64_t scratch_floats(int64_t rows, bool training) const override {
    int64_t n = 2 * out_;  // column sums in double
    if (q_in_.active()) n += rows * in_;
    if (q_w_.active()) n += out_ * in_;
    if (q_b_.active()) n += out_;
    return n;
  }
  void bind_scratch(float* s) override {
    sums_ = reinterpret_cast<double*>(s);
    s += 2 * out_;
    if (q_w_.active()) {
      wq_ = s;
      s += out_ * in_;
    }
    if (q_b_.active()) {
      bq_ = s;
      s += out_;
    }
    if (q_in_.active()) xq_ = s;
  }

  double train_flops_per_sample(bool input_grad) const override {
    return 2.0 * static_cast<double>(in_ * out_) * (input_grad ? 3 : 2);
  }

  bool rows_independent() const override { return q_in_.elementwise() && q_out_.elementwise(); }

  // A following ReLU runs in the GEMM's store and its mask in the bias-gradient pass: two
  // passes over the activation and one over its gradient fewer per step (same bits).
  bool take_relu() override {
    if (q_out_.active()) return false;  // the ReLU would have to follow the output quantizer
    relu_ = true;
    return true;
  }

  // Class-major output (inference logits): y^T = Q_w(W) Q_in(x)^T. Any output quantizer that
  // does not span values (its blocks would follow the layout) applies the same either way.
  bool write_class_major() override {
    if (!q_out_.elementwise()) return false;
    class_major_ = true;
    return true;
  }

  void forward(const RunContext& ctx) override {
    const int64_t rows = ctx.rows;
    const float* x = ctx.value_data(inputs[0]);
    // Class-major, the product packs x^T anyway: an integer input quantizer runs in that copy.
    const kernels::IntQuant x_quant = q_in_.native() ? q_in_.int_quant() : kernels::IntQuant{};
    const bool quantize_in_pack = class_major_ && q_in_.native();
    if (q_in_.active() && !quantize_in_pack) {
      q_in_.apply(*ctx.kt, x, xq_, {rows, in_});
      x = xq_;
    }
    const float* w = weight(ctx);
    const float* b = nullptr;
    if (has_bias_) {
      b = ctx.param(bias_offset);
      if (q_b_.active()) {
        if (bq_version_ != ctx.params_version) q_b_.apply(*ctx.kt, b, bq_, {out_});
        bq_version_ = ctx.params_version;
        b = bq_;
      }
    }
    float* y = ctx.value_data(output);
    GemmArgs g;
    if (class_major_) {
      // y^T [out, rows] = Wq [out, in] xq^T [in, rows]: each element is the same bias + products
      // summed over k in order (the tile's FMA takes its two factors either way round), so the
      // same bits as y; a narrow head gets full-width tiles over the rows instead of masked ones.
      g.m = out_, g.n = rows, g.k = in_;
      if (transposed_)
        g.a = w, g.a_rs = 1, g.a_cs = out_;  // A = W, stored as W^T
      else
        g.a = w, g.a_rs = in_, g.a_cs = 1;
      g.b = x, g.b_rs = 1, g.b_cs = in_;
      if (quantize_in_pack) g.b_quant = &x_quant;
      g.c = y, g.ldc = rows;
      g.init = b ? GemmInit::kBiasPerRow : GemmInit::kZero;
      g.bias = b;
      g.relu = relu_;
      ctx.gemm(g);
      if (q_out_.active()) q_out_.apply(*ctx.kt, y, y, {out_, rows});
      return;
    }
    g.m = rows, g.n = out_, g.k = in_;
    g.a = x, g.a_rs = in_, g.a_cs = 1;
    if (transposed_)
      g.b = w, g.b_rs = out_, g.b_cs = 1;  // B = W^T, stored as such
    else
      g.b = w, g.b_rs = 1, g.b_cs = in_;
    g.c = y, g.ldc = out_;
    g.init = b ? GemmInit::kBiasPerColumn : GemmInit::kZero;
    g.bias = b;
    g.relu = relu_;
    ctx.gemm(g);
    if (q_out_.active()) q_out_.apply(*ctx.kt, y, y, {rows, out_});
  }

  void backward(const RunContext& ctx) override {
    const int64_t rows = ctx.rows;
    float* gy = ctx.value_grad(output);
    const float* x = q_in_.active() ? xq_ : ctx.value_data(inputs[0]);
    if (relu_) {  // ReLU's backward (gy is the ReLU's output gradient; y its result)
      const float* y = ctx.value_data(output);
      if (has_bias_)
        ctx.kt->relu_mask_column_sum(y, gy, rows, out_, ctx.param_grad(bias_offset), sums_);
      else
        ctx.kt->relu_backward(y, gy, gy, rows * out_, false);
    }
    if (ctx.needs_grad(inputs[0])) {  // dx [rows, in] = g [rows, out] * Wq [out, in]
      GemmArgs g;
      g.m = rows, g.n = in_, g.k = out_;
      g.a = gy, g.a_rs = out_, g.a_cs = 1;
      if (transposed_)
        g.b = weight(ctx), g.b_rs = 1, g.b_cs = out_;
      else
        g.b = weight(ctx), g.b_rs = in_, g.b_cs = 1;
      g.c = ctx.begin_grad(inputs[0]), g.ldc = in_;
      g.init = GemmInit::kZero;
      ctx.gemm(g);
      ctx.end_grad(inputs[0]);
    }
    GemmArgs g;  // dW [out, in] = g^T [out, rows] * x [rows, in], or its transpose x^T g
    if (transposed_) {
      g.m = in_, g.n = out_, g.k = rows;
      g.a = x, g.a_rs = 1, g.a_cs = in_;
      if (ctx.plan->input_t_rows == rows && reads_network_input(ctx))
        g.a_packed = ctx.plan->input_t.data();
      g.b = gy, g.b_rs = out_, g.b_cs = 1;
      g.ldc = out_;
    } else {
      g.m = out_, g.n = in_, g.k = rows;
      g.a = gy, g.a_rs = 1, g.a_cs = out_;
      g.b = x, g.b_rs = in_, g.b_cs = 1;
      g.ldc = in_;
    }
    g.c = ctx.param_grad(weight_offset);
    g.init = GemmInit::kZero;
    ctx.gemm(g);
    if (has_bias_ && !relu_)
      ctx.kt->column_sum(gy, rows, out_, ctx.param_grad(bias_offset), sums_, false);
  }

 private:
  bool reads_network_input(const RunContext& ctx) const {
    const Plan& plan = *ctx.plan;
    return !q_in_.active() && plan.values[static_cast<size_t>(inputs[0])].buffer ==
                                  plan.values[static_cast<size_t>(plan.input_value)].buffer;
  }

  const float* weight(const RunContext& ctx) {
    const float* w = ctx.param(weight_offset);
    if (!q_w_.active()) return w;
    if (wq_version_ != ctx.params_version)
      q_w_.apply(*ctx.kt, w, wq_,
                 transposed_ ? std::vector<int64_t>{in_, out_} : std::vector<int64_t>{out_, in_});
    wq_version_ = ctx.params_version;
    return wq_;
  }

  int64_t in_, out_;
  bool has_bias_;
  OperandQuantizer q_in_, q_w_, q_b_, q_out_;
  bool transposed_;
  bool relu_ = false;         // a following ReLU is fused in (take_relu)
  bool class_major_ = false;  // forward() writes y^T (write_class_major)
  double* sums_ = nullptr;
  float *xq_ = nullptr, *wq_ = nullptr, *bq_ = nullptr;
  uint64_t wq_version_ = ~uint64_t{0}, bq_version_ = ~uint64_t{0};
};

}  // namespace

OpMade make_linear(const OpBuildInfo& info) {
  const graph::Node& n = *info.node;
  OpMade made;
  if (info.in_shapes.size() != 1 || info.in_shapes[0].size() != 1) {
    made.why_not = "linear on inputs of more than two dimensions";
    return made;
  }
  const int64_t in = n.attr_int("in_features"), out = n.attr_int("out_features");
  const at::Tensor* w = n.param("weight");
  const at::Tensor* b = n.param("bias");
  if (!w || w->dim() != 2 || w->size(0) != out || w->size(1) != in) {
    made.why_not = "weight shape differs from in_features/out_features";
    return made;
  }
  if (b && (b->dim() != 1 || b->size(0) != out)) {
    made.why_not = "bias shape differs from out_features";
    return made;
  }
  made.op = std::make_unique<LinearOp>(in, out, b != nullptr, info);
  return made;
}

}  // namespace chop::engine
