// batch_norm_cpu: see batch_norm_cpu.h.
#include "runtime/batch_norm_cpu.h"

#include <torch/csrc/autograd/custom_function.h>

#include <vector>

#include "kernels/batch_norm.h"

namespace chop::runtime {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

const kernels::KernelTable& table() {
  static const kernels::KernelTable& kt = kernels::kernel_table(kernels::default_isa());
  return kt;
}

kernels::BatchNormDims dims_of(const at::Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1);
  return {n, c, n * c > 0 ? x.numel() / (n * c) : 1};
}

float* data_or_null(const at::Tensor& t) {
  return t.defined() ? t.data_ptr<float>() : nullptr;
}

// Forward only (inference, or no gradient wanted): the same arithmetic without saving anything.
at::Tensor forward_values(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                          const BatchNormCpuArgs& a, at::Tensor* mean, at::Tensor* invstd) {
  const kernels::BatchNormDims d = dims_of(x);
  at::Tensor y = at::empty_like(x);
  std::vector<float> scratch(static_cast<size_t>(kernels::batch_norm_scratch_floats(d.c)));
  if (!a.training) {
    kernels::batch_norm_eval(table(), d, x.data_ptr<float>(), y.data_ptr<float>(), data_or_null(w),
                             data_or_null(b), a.running_mean->data_ptr<float>(),
                             a.running_var->data_ptr<float>(), a.eps, scratch.data());
    return y;
  }
  *mean = at::empty({d.c}, x.options());
  *invstd = at::empty({d.c}, x.options());
  float* rm = a.running_mean ? a.running_mean->data_ptr<float>() : nullptr;
  float* rv = a.running_var ? a.running_var->data_ptr<float>() : nullptr;
  kernels::batch_norm_train(table(), d, x.data_ptr<float>(), y.data_ptr<float>(), data_or_null(w),
                            data_or_null(b), a.eps, rm, rv, a.factor,
                            {mean->data_ptr<float>(), invstd->data_ptr<float>()}, scratch.data());
  // The statistics changed in place: let version-keyed caches see it.
  if (a.running_mean) a.running_mean->unsafeGetTensorImpl()->bump_version();
  if (a.running_var) a.running_var->unsafeGetTensorImpl()->bump_version();
  return y;
}

struct BatchNormFunction : public torch::autograd::Function<BatchNormFunction> {
  // weight/bias are ones/zeros stand-ins (not requiring grad) when the layer is not affine:
  // LibTorch 1.13's custom functions cannot take undefined tensors.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& w,
                            const at::Tensor& b, const BatchNormCpuArgs* args, bool affine) {
    at::Tensor x = x_in.contiguous(), mean, invstd;
    at::Tensor y = forward_values(x, affine ? w.contiguous() : at::Tensor(),
                                  affine ? b.contiguous() : at::Tensor(), *args, &mean, &invstd);
    ctx->save_for_backward({x, w.contiguous(), mean, invstd});
    ctx->saved_data["affine"] = affine;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const bool affine = ctx->saved_data["affine"].toBool();
    const at::Tensor w = affine ? saved[1] : at::Tensor();
    at::Tensor dy = grads[0].contiguous();
    const kernels::BatchNormDims d = dims_of(x);
    at::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) dx = at::empty_like(x);
    const bool params = affine && (ctx->needs_input_grad(1) || ctx->needs_input_grad(2));
    if (params) {
      dw = at::empty({d.c}, x.options());
      db = at::empty({d.c}, x.options());
    }
    std::vector<float> scratch(static_cast<size_t>(kernels::batch_norm_scratch_floats(d.c)));
    kernels::batch_norm_backward(
        table(), d, x.data_ptr<float>(), dy.data_ptr<float>(), data_or_null(w),
        {saved[2].data_ptr<float>(), saved[3].data_ptr<float>()}, data_or_null(dx), false,
        data_or_null(dw), data_or_null(db), false, scratch.data());
    return {dx, dw, db, at::Tensor(), at::Tensor()};
  }
};

bool float_cpu_vector(const at::Tensor* t, int64_t c) {
  return !t || (t->defined() && t->device().is_cpu() && t->scalar_type() == at::kFloat &&
                t->dim() == 1 && t->numel() == c && t->is_contiguous());
}

}  // namespace

bool batch_norm_cpu_supported(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                              const BatchNormCpuArgs& args) {
  if (!x.defined() || !x.device().is_cpu() || x.scalar_type() != at::kFloat || x.dim() < 2 ||
      x.numel() == 0)
    return false;
  const int64_t c = x.size(1);
  if (weight.defined() != bias.defined()) return false;
  if (weight.defined() && (!float_cpu_vector(&weight, c) || !float_cpu_vector(&bias, c)))
    return false;
  if (!args.training && (!args.running_mean || !args.running_var)) return false;
  return float_cpu_vector(args.running_mean, c) && float_cpu_vector(args.running_var, c);
}

at::Tensor batch_norm_cpu(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                          const BatchNormCpuArgs& args) {
  const bool affine = weight.defined();
  const bool grad =
      at::GradMode::is_enabled() &&
      (x.requires_grad() || (affine && (weight.requires_grad() || bias.requires_grad())));
  if (!grad || !args.training) {  // values only (eval batch norm needs no saved statistics)
    at::NoGradGuard no_grad;
    at::Tensor mean, invstd;
    return forward_values(x.contiguous(), affine ? weight.contiguous() : at::Tensor(),
                          affine ? bias.contiguous() : at::Tensor(), args, &mean, &invstd);
  }
  const int64_t c = x.size(1);
  return BatchNormFunction::apply(x, affine ? weight : at::ones({c}, x.options()),
                                  affine ? bias : at::zeros({c}, x.options()), &args, affine);
}

}  // namespace chop::runtime
