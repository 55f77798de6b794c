// pool_cpu: see pool_cpu.h.
#include "runtime/pool_cpu.h"

#include <torch/csrc/autograd/custom_function.h>

namespace chop::runtime {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

kernels::PoolGeometry complete(const at::Tensor& x, kernels::PoolGeometry g) {
  g.c = x.size(1), g.h = x.size(2), g.w = x.size(3);
  if (g.kind != kernels::PoolKind::kAdaptiveAvg) {
    g.oh = (g.h + 2 * g.ph - g.kh) / g.sh + 1;
    g.ow = (g.w + 2 * g.pw - g.kw) / g.sw + 1;
  }
  return g;
}

at::Tensor forward_values(const at::Tensor& x, const kernels::PoolGeometry& g, at::Tensor* argmax) {
  at::Tensor y = at::empty({x.size(0), g.c, g.oh, g.ow}, x.options());
  int32_t* am = nullptr;
  if (g.kind == kernels::PoolKind::kMax) {
    *argmax = at::empty({x.size(0), g.c, g.oh, g.ow}, x.options().dtype(at::kInt));
    am = argmax->data_ptr<int32_t>();
  }
  kernels::pool_forward(g, x.size(0), x.data_ptr<float>(), y.data_ptr<float>(), am);
  return y;
}

struct PoolFunction : public torch::autograd::Function<PoolFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in,
                            const kernels::PoolGeometry* geometry) {
    at::Tensor x = x_in.contiguous(), argmax;
    const kernels::PoolGeometry g = complete(x, *geometry);
    at::Tensor y = forward_values(x, g, &argmax);
    ctx->save_for_backward(
        {argmax.defined() ? argmax : at::empty({0}, x.options().dtype(at::kInt))});
    ctx->saved_data["shape"] = x.sizes().vec();
    ctx->saved_data["geometry"] = std::vector<int64_t>{static_cast<int64_t>(g.kind),
                                                       g.c,
                                                       g.h,
                                                       g.w,
                                                       g.oh,
                                                       g.ow,
                                                       g.kh,
                                                       g.kw,
                                                       g.sh,
                                                       g.sw,
                                                       g.ph,
                                                       g.pw};
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto v = ctx->saved_data["geometry"].toIntVector();
    kernels::PoolGeometry g;
    g.kind = static_cast<kernels::PoolKind>(v[0]);
    g.c = v[1], g.h = v[2], g.w = v[3], g.oh = v[4], g.ow = v[5], g.kh = v[6], g.kw = v[7];
    g.sh = v[8], g.sw = v[9], g.ph = v[10], g.pw = v[11];
    const auto shape = ctx->saved_data["shape"].toIntVector();
    at::Tensor dy = grads[0].contiguous();
    at::Tensor dx = at::empty(shape, dy.options());
    const at::Tensor argmax = ctx->get_saved_variables()[0];
    kernels::pool_backward(
        g, shape[0], dy.data_ptr<float>(), dx.data_ptr<float>(), false,
        g.kind == kernels::PoolKind::kMax ? argmax.data_ptr<int32_t>() : nullptr);
    return {dx, at::Tensor()};
  }
};

}  // namespace

bool pool_cpu_supported(const at::Tensor& x, const kernels::PoolGeometry& g0) {
  if (!x.defined() || !x.device().is_cpu() || x.scalar_type() != at::kFloat || x.dim() != 4 ||
      x.numel() == 0)
    return false;
  const kernels::PoolGeometry g = complete(x, g0);
  if (g.kind == kernels::PoolKind::kAdaptiveAvg) return g.oh > 0 && g.ow > 0;
  return g.kh > 0 && g.kw > 0 && g.sh > 0 && g.sw > 0 && g.ph >= 0 && g.pw >= 0 &&
         2 * g.ph <= g.kh && 2 * g.pw <= g.kw && g.oh > 0 && g.ow > 0 &&
         x.numel() < (int64_t{1} << 31);
}

at::Tensor pool_cpu(const at::Tensor& x, const kernels::PoolGeometry& g) {
  if (!at::GradMode::is_enabled() || !x.requires_grad()) {
    at::Tensor xc = x.contiguous(), argmax;
    return forward_values(xc, complete(xc, g), &argmax);
  }
  return PoolFunction::apply(x, &g);
}

}  // namespace chop::runtime
