// linear_cpu: see linear_cpu.h. All three products of a linear layer (forward, grad_x, grad_W)
// are one call of the shared blocked GEMM (kernels/gemm.h) with A and B read through strides,
// and the bias gradient is the shared column sum: the fused engine runs the same kernels, so
// both paths compute the same bits.
#include "runtime/linear_cpu.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <vector>

#include "core/error.h"
#include "kernels/gemm.h"

namespace chop::runtime {
namespace {

const kernels::KernelTable& table() {
  static const kernels::KernelTable& kt = kernels::kernel_table(kernels::default_isa());
  return kt;
}

void run_on_torch_threads(void*, int64_t n_tasks, void* task_ctx,
                          void (*task)(void*, int64_t, int64_t)) {
  at::parallel_for(0, n_tasks, 1, [&](int64_t b, int64_t e) { task(task_ctx, b, e); });
}

/// C = A * B as `g` says, with this thread's reusable scratch; column panels are split over
/// LibTorch's intra-op threads when the product is large enough to pay for it. Every element is
/// summed by one thread in a fixed order, so results do not depend on the thread count.
void gemm(kernels::GemmArgs g) {
  const kernels::KernelTable& kt = table();
  thread_local std::vector<float> scratch;
  const auto need = static_cast<size_t>(kernels::gemm_scratch_floats(kt, g.m, g.n, g.k));
  if (scratch.size() < need) scratch.resize(need);
  static const kernels::TaskRunner torch_threads{nullptr, run_on_torch_threads};
  const bool parallel = at::get_num_threads() > 1 && !at::in_parallel_region() &&
                        g.m * g.n * g.k >= (int64_t{1} << 18);
  kernels::gemm(kt, g, scratch.data(), parallel ? &torch_threads : nullptr);
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// y = x W^T + b for contiguous x and w; b may be undefined (sums start from 0).
at::Tensor linear_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b_in) {
  const int64_t n = x.size(0), in = x.size(1), out = w.size(0);
  const at::Tensor b = b_in.defined() ? b_in.contiguous() : at::Tensor();
  at::Tensor y = at::empty({n, out}, x.options().requires_grad(false));
  kernels::GemmArgs g;
  g.m = n, g.n = out, g.k = in;
  g.a = x.data_ptr<float>(), g.a_rs = in, g.a_cs = 1;
  g.b = w.data_ptr<float>(), g.b_rs = 1, g.b_cs = in;  // B = W^T
  g.c = y.data_ptr<float>(), g.ldc = out;
  g.init = b.defined() ? kernels::GemmInit::kBiasPerColumn : kernels::GemmInit::kZero;
  g.bias = b.defined() ? b.data_ptr<float>() : nullptr;
  gemm(g);
  return y;
}

struct LinearFunction : public torch::autograd::Function<LinearFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& w_in,
                            const at::Tensor& b_in) {
    at::Tensor x = x_in.contiguous(), w = w_in.contiguous();
    ctx->save_for_backward({x, w});
    return linear_forward(x, w, b_in);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& w = saved[1];
    at::Tensor g = grads[0].contiguous();
    const int64_t n = x.size(0), in = x.size(1), out = w.size(0);
    at::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) {  // [n, in] = g [n, out] * W [out, in]
      gx = at::empty({n, in}, g.options());
      kernels::GemmArgs a;
      a.m = n, a.n = in, a.k = out;
      a.a = g.data_ptr<float>(), a.a_rs = out, a.a_cs = 1;
      a.b = w.data_ptr<float>(), a.b_rs = in, a.b_cs = 1;
      a.c = gx.data_ptr<float>(), a.ldc = in;
      gemm(a);
    }
    if (ctx->needs_input_grad(1)) {  // [out, in] = g^T [out, n] * x [n, in]
      gw = at::empty({out, in}, g.options());
      kernels::GemmArgs a;
      a.m = out, a.n = in, a.k = n;
      a.a = g.data_ptr<float>(), a.a_rs = 1, a.a_cs = out;
      a.b = x.data_ptr<float>(), a.b_rs = in, a.b_cs = 1;
      a.c = gw.data_ptr<float>(), a.ldc = in;
      gemm(a);
    }
    if (ctx->needs_input_grad(2)) {  // column sums of g, in double
      gb = at::empty({out}, g.options());
      std::vector<double> sums(static_cast<size_t>(out));
      table().column_sum(g.data_ptr<float>(), n, out, gb.data_ptr<float>(), sums.data(), false);
    }
    return {gx, gw, gb};
  }
};

}  // namespace

bool linear_cpu_available() {
  return true;  // the kernels have a portable table for CPUs without AVX2
}

at::Tensor linear_cpu(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  CHOP_ASSERT(x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1) &&
                  x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat &&
                  x.device().is_cpu() && w.device().is_cpu() &&
                  (!b.defined() ||
                   (b.dim() == 1 && b.size(0) == w.size(0) && b.scalar_type() == at::kFloat)),
              "linear_cpu: unsupported operands");
  // Without gradients (evaluation, post-training quantization) the autograd node is only cost.
  const bool needs_grad = at::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() ||
                                                         (b.defined() && b.requires_grad()));
  if (!needs_grad) return linear_forward(x.contiguous(), w.contiguous(), b);
  // LibTorch 1.13's custom functions cannot take undefined inputs: a bias-free layer gets zeros
  // (the kernel then starts its sums from 0, exactly as without a bias).
  return LinearFunction::apply(
      x, w, b.defined() ? b : at::zeros({w.size(0)}, w.options().requires_grad(false)));
}

}  // namespace chop::runtime
