// conv1d / conv2d (groups = 1) on kernels/conv.h (per sample, im2col + the shared GEMM; the
// LibTorch path's convolution runs the same code), with MASE's data_in / weight / bias /
// data_out quantizers and straight-through gradients.
#include <algorithm>
#include <cstring>

#include "engine/ops.h"
#include "kernels/conv.h"

namespace chop::engine {
namespace {

using kernels::ConvGeometry;

class ConvOp : public Op {
 public:
  ConvOp(const ConvGeometry& g, bool has_bias, std::vector<int64_t> w_shape,
         const OpBuildInfo& info)
      : g_(g),
        has_bias_(has_bias),
        in_shape_(info.in_shapes[0]),
        out_shape_(info.out_shape),
        w_shape_(std::move(w_shape)),
        q_in_(info.data_in),
        q_w_(info.weight),
        q_b_(info.bias),
        q_out_(info.data_out) {}

  int64_t gemm_scratch_floats(const KernelTable& kt, int64_t) const override {
    return kernels::conv_gemm_scratch_floats(kt, g_);
  }
  int64_t scratch_floats(int64_t rows, bool training) const override {
    int64_t n = kernels::conv_scratch_floats(g_);
    if (q_in_.active()) n += rows * g_.in_size();
    if (q_w_.active()) n += g_.cout * g_.k();
    if (q_b_.active()) n += g_.cout;
    return n;
  }
  void bind_scratch(float* s) override {
    scratch_ = s;
    s += kernels::conv_scratch_floats(g_);
    if (q_w_.active()) {
      wq_ = s;
      s += g_.cout * g_.k();
    }
    if (q_b_.active()) {
      bq_ = s;
      s += g_.cout;
    }
    if (q_in_.active()) xq_ = s;
  }

  double train_flops_per_sample(bool input_grad) const override {
    return 2.0 * static_cast<double>(g_.cout * g_.k() * g_.p()) * (input_grad ? 3 : 2);
  }

  bool rows_independent() const override { return q_in_.elementwise() && q_out_.elementwise(); }

  void forward(const RunContext& ctx) override {
    const float* x = input(ctx, true);
    const float* w = weight(ctx);
    const float* b = nullptr;
    if (has_bias_) {
      b = ctx.param(bias_offset);
      if (q_b_.active()) {
        if (bq_version_ != ctx.params_version) q_b_.apply(*ctx.kt, b, bq_, {g_.cout});
        bq_version_ = ctx.params_version;
        b = bq_;
      }
    }
    float* y = ctx.value_data(output);
    kernels::conv_forward(*ctx.kt, g_, ctx.rows, x, w, b, y, scratch_, ctx.gemm_scratch(),
                          ctx.threads);
    if (q_out_.active()) q_out_.apply(*ctx.kt, y, y, with_rows(ctx.rows, out_shape_));
  }

  void backward(const RunContext& ctx) override {
    const bool dx_needed = ctx.needs_grad(inputs[0]);
    kernels::conv_backward(*ctx.kt, g_, ctx.rows, input(ctx, false), weight(ctx),
                           ctx.value_grad(output), dx_needed ? ctx.begin_grad(inputs[0]) : nullptr,
                           false, ctx.param_grad(weight_offset),
                           has_bias_ ? ctx.param_grad(bias_offset) : nullptr, false, scratch_,
                           ctx.gemm_scratch(), ctx.threads);
    if (dx_needed) ctx.end_grad(inputs[0]);
  }

 private:
  // The (quantized) input batch; quantizes it in the forward pass.
  const float* input(const RunContext& ctx, bool forward) {
    const float* x = ctx.value_data(inputs[0]);
    if (!q_in_.active()) return x;
    if (forward) q_in_.apply(*ctx.kt, x, xq_, with_rows(ctx.rows, in_shape_));
    return xq_;
  }
  const float* weight(const RunContext& ctx) {
    const float* w = ctx.param(weight_offset);
    if (!q_w_.active()) return w;
    if (wq_version_ != ctx.params_version) q_w_.apply(*ctx.kt, w, wq_, w_shape_);
    wq_version_ = ctx.params_version;
    return wq_;
  }

  ConvGeometry g_;
  bool has_bias_;
  std::vector<int64_t> in_shape_, out_shape_, w_shape_;
  OperandQuantizer q_in_, q_w_, q_b_, q_out_;
  float *scratch_ = nullptr, *xq_ = nullptr, *wq_ = nullptr, *bq_ = nullptr;
  uint64_t wq_version_ = ~uint64_t{0}, bq_version_ = ~uint64_t{0};
};

}  // namespace

OpMade make_conv(const OpBuildInfo& info) {
  const graph::Node& n = *info.node;
  OpMade made;
  const size_t dims = n.mase_op == "conv1d" ? 1 : 2;
  const auto& s = info.in_shapes.at(0);
  if (s.size() != dims + 1) {
    made.why_not = "input is not a batch of C x spatial samples";
    return made;
  }
  if (n.attrs.value("groups", int64_t{1}) != 1) {
    made.why_not = "grouped convolution";
    return made;
  }
  if (n.attrs.contains("padding") && n.attrs["padding"].is_string()) {
    made.why_not = "string padding";
    return made;
  }
  const auto k = attr_ints(n, "kernel_size", dims), st = attr_ints(n, "stride", dims),
             p = attr_ints(n, "padding", dims), d = attr_ints(n, "dilation", dims);
  ConvGeometry g{};
  g.cin = s[0];
  g.cout = n.attr_int("out_channels");
  if (dims == 1) {
    g.h = 1, g.w = s[1], g.oh = 1, g.ow = info.out_shape[1];
    g.kh = 1, g.kw = k[0], g.sh = 1, g.sw = st[0], g.ph = 0, g.pw = p[0], g.dh = 1, g.dw = d[0];
  } else {
    g.h = s[1], g.w = s[2], g.oh = info.out_shape[1], g.ow = info.out_shape[2];
    g.kh = k[0], g.kw = k[1], g.sh = st[0], g.sw = st[1], g.ph = p[0], g.pw = p[1];
    g.dh = d[0], g.dw = d[1];
  }
  const at::Tensor* w = n.param("weight");
  if (!w || w->numel() != g.cout * g.k()) {
    made.why_not = "weight shape differs from the attributes";
    return made;
  }
  const at::Tensor* b = n.param("bias");
  made.op = std::make_unique<ConvOp>(g, b != nullptr, w->sizes().vec(), info);
  return made;
}

}  // namespace chop::engine
