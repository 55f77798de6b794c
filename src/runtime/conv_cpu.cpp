// conv_cpu: see conv_cpu.h.
#include "runtime/conv_cpu.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "kernels/conv.h"

namespace chop::runtime {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

const kernels::KernelTable& table() {
  static const kernels::KernelTable& kt = kernels::kernel_table(kernels::default_isa());
  return kt;
}

void run_on_torch_threads(void*, int64_t n_tasks, void* task_ctx,
                          void (*task)(void*, int64_t, int64_t)) {
  at::parallel_for(0, n_tasks, 1, [&](int64_t b, int64_t e) { task(task_ctx, b, e); });
}

const kernels::TaskRunner* runner() {
  static const kernels::TaskRunner torch_threads{nullptr, run_on_torch_threads};
  return at::get_num_threads() > 1 && !at::in_parallel_region() ? &torch_threads : nullptr;
}

kernels::ConvGeometry geometry(const at::Tensor& x, const at::Tensor& w, const ConvCpuArgs& a) {
  kernels::ConvGeometry g;
  g.cin = x.size(1);
  g.cout = w.size(0);
  if (a.stride.size() == 1) {
    g.h = 1, g.w = x.size(2), g.kh = 1, g.kw = w.size(2);
    g.sh = 1, g.sw = a.stride[0], g.ph = 0, g.pw = a.padding[0], g.dh = 1, g.dw = a.dilation[0];
  } else {
    g.h = x.size(2), g.w = x.size(3), g.kh = w.size(2), g.kw = w.size(3);
    g.sh = a.stride[0], g.sw = a.stride[1], g.ph = a.padding[0], g.pw = a.padding[1];
    g.dh = a.dilation[0], g.dw = a.dilation[1];
  }
  g.oh = (g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.ow = (g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  return g;
}

std::vector<int64_t> out_shape(const at::Tensor& x, const kernels::ConvGeometry& g, size_t dims) {
  if (dims == 1) return {x.size(0), g.cout, g.ow};
  return {x.size(0), g.cout, g.oh, g.ow};
}

at::Tensor forward_values(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                          const ConvCpuArgs& a) {
  const kernels::ConvGeometry g = geometry(x, w, a);
  at::Tensor y = at::empty(out_shape(x, g, a.stride.size()), x.options());
  std::vector<float> scratch(static_cast<size_t>(kernels::conv_scratch_floats(g)));
  std::vector<float> gemm_scratch(
      static_cast<size_t>(kernels::conv_gemm_scratch_floats(table(), g)));
  kernels::conv_forward(table(), g, x.size(0), x.data_ptr<float>(), w.data_ptr<float>(),
                        b.defined() ? b.data_ptr<float>() : nullptr, y.data_ptr<float>(),
                        scratch.data(), gemm_scratch.data(), runner());
  return y;
}

struct ConvFunction : public torch::autograd::Function<ConvFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& w_in,
                            const at::Tensor& b, const ConvCpuArgs* args, bool has_bias) {
    at::Tensor x = x_in.contiguous(), w = w_in.contiguous();
    ctx->save_for_backward({x, w});
    ctx->saved_data["has_bias"] = has_bias;
    ctx->saved_data["stride"] = args->stride;
    ctx->saved_data["padding"] = args->padding;
    ctx->saved_data["dilation"] = args->dilation;
    return forward_values(x, w, has_bias ? b.contiguous() : at::Tensor(), *args);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& w = saved[1];
    ConvCpuArgs a{ctx->saved_data["stride"].toIntVector(), ctx->saved_data["padding"].toIntVector(),
                  ctx->saved_data["dilation"].toIntVector()};
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    const kernels::ConvGeometry g = geometry(x, w, a);
    at::Tensor dy = grads[0].contiguous();
    at::Tensor dx = ctx->needs_input_grad(0) ? at::empty_like(x) : at::Tensor();
    at::Tensor dw = at::empty_like(w);
    at::Tensor db = has_bias ? at::empty({g.cout}, x.options()) : at::Tensor();
    std::vector<float> scratch(static_cast<size_t>(kernels::conv_scratch_floats(g)));
    std::vector<float> gemm_scratch(
        static_cast<size_t>(kernels::conv_gemm_scratch_floats(table(), g)));
    kernels::conv_backward(table(), g, x.size(0), x.data_ptr<float>(), w.data_ptr<float>(),
                           dy.data_ptr<float>(), dx.defined() ? dx.data_ptr<float>() : nullptr,
                           false, dw.data_ptr<float>(), has_bias ? db.data_ptr<float>() : nullptr,
                           false, scratch.data(), gemm_scratch.data(), runner());
    return {dx, ctx->needs_input_grad(1) ? dw : at::Tensor(),
            has_bias && ctx->needs_input_grad(2) ? db : at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

bool float_cpu(const at::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == at::kFloat;
}

}  // namespace

bool conv_cpu_supported(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                        const ConvCpuArgs& a) {
  const size_t dims = a.stride.size();
  if ((dims != 1 && dims != 2) || a.padding.size() != dims || a.dilation.size() != dims)
    return false;
  if (!float_cpu(x) || !float_cpu(w) || (b.defined() && !float_cpu(b))) return false;
  if (x.dim() != static_cast<int64_t>(dims) + 2 || w.dim() != x.dim() || x.size(1) != w.size(1) ||
      x.size(0) == 0)
    return false;
  if (b.defined() && (b.dim() != 1 || b.size(0) != w.size(0))) return false;
  for (size_t i = 0; i < dims; ++i) {
    if (a.stride[i] < 1 || a.padding[i] < 0 || a.dilation[i] < 1) return false;
    const int64_t span = x.size(2 + static_cast<int64_t>(i)) + 2 * a.padding[i] -
                         a.dilation[i] * (w.size(2 + static_cast<int64_t>(i)) - 1) - 1;
    if (span < 0) return false;  // ATen's error message is the better one
  }
  return true;
}

at::Tensor conv_cpu(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                    const ConvCpuArgs& args) {
  const bool grad = at::GradMode::is_enabled() &&
                    (x.requires_grad() || w.requires_grad() || (b.defined() && b.requires_grad()));
  if (!grad) {
    at::NoGradGuard no_grad;
    return forward_values(x.contiguous(), w.contiguous(), b.defined() ? b.contiguous() : b, args);
  }
  return ConvFunction::apply(x, w, b.defined() ? b : at::zeros({w.size(0)}, w.options()), &args,
                             b.defined());
}

}  // namespace chop::runtime
