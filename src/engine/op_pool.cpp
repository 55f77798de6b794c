// 2-D pooling (max, average, adaptive average) on kernels/pool.h, which the LibTorch path's
// pooling also runs; this file checks the attributes the kernels support.
#include "engine/ops.h"
#include "kernels/pool.h"

namespace chop::engine {
namespace {

using kernels::PoolGeometry;
using kernels::PoolKind;

class PoolOp : public Op {
 public:
  explicit PoolOp(const PoolGeometry& g) : g_(g) {}

  int64_t scratch_floats(int64_t rows, bool) const override {
    return g_.kind == PoolKind::kMax ? rows * g_.out_size() : 0;  // argmax (int32)
  }
  void bind_scratch(float* s) override { argmax_ = reinterpret_cast<int32_t*>(s); }

  void forward(const RunContext& ctx) override {
    kernels::pool_forward(g_, ctx.rows, ctx.value_data(inputs[0]), ctx.value_data(output), argmax_);
  }
  void backward(const RunContext& ctx) override {
    if (!ctx.needs_grad(inputs[0])) return;
    kernels::pool_backward(g_, ctx.rows, ctx.value_grad(output), ctx.begin_grad(inputs[0]), false,
                           argmax_);
    ctx.end_grad(inputs[0]);
  }

 private:
  PoolGeometry g_;
  int32_t* argmax_ = nullptr;
};

}  // namespace

OpMade make_pool(const OpBuildInfo& info) {
  const graph::Node& n = *info.node;
  OpMade made;
  const auto& s = info.in_shapes.at(0);
  if (s.size() != 3 || info.out_shape.size() != 3) {
    made.why_not = "pooling of other than C x H x W samples";
    return made;
  }
  PoolGeometry g;
  g.c = s[0], g.h = s[1], g.w = s[2], g.oh = info.out_shape[1], g.ow = info.out_shape[2];
  g.kind = PoolKind::kAdaptiveAvg;
  if (n.mase_op != "adaptive_avg_pool2d") {
    g.kind = n.mase_op == "max_pool2d" ? PoolKind::kMax : PoolKind::kAvg;
    const auto k = attr_ints(n, "kernel_size", 2);
    const bool has_stride = n.attrs.contains("stride") && !n.attrs["stride"].is_null();
    const auto st = has_stride ? attr_ints(n, "stride", 2) : k;
    const auto p = attr_ints(n, "padding", 2);
    for (const char* unsupported : {"ceil_mode", "dilation", "divisor_override"})
      if (n.attrs.contains(unsupported) && !n.attrs[unsupported].is_null() &&
          n.attrs[unsupported] != false && n.attrs[unsupported] != 1 &&
          n.attrs[unsupported] != std::vector<int64_t>{1, 1}) {
        made.why_not = std::string("pooling attribute ") + unsupported;
        return made;
      }
    if (n.attrs.value("count_include_pad", true) != true) {
      made.why_not = "count_include_pad = false";
      return made;
    }
    g.kh = k[0], g.kw = k[1], g.sh = st[0], g.sw = st[1], g.ph = p[0], g.pw = p[1];
    if (g.ph * 2 > g.kh || g.pw * 2 > g.kw) {
      made.why_not = "padding larger than half the kernel";
      return made;
    }
  }
  made.op = std::make_unique<PoolOp>(g);
  return made;
}

}  // namespace chop::engine
