// cross_entropy: see cross_entropy.h.
#include "runtime/cross_entropy.h"

#include <torch/csrc/autograd/custom_function.h>

#include <vector>

#include "kernels/cross_entropy.h"

namespace chop::runtime {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

const kernels::KernelTable& table() {
  static const kernels::KernelTable& kt = kernels::kernel_table(kernels::default_isa());
  return kt;
}

struct CrossEntropyFunction : public torch::autograd::Function<CrossEntropyFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& logits_in,
                            const at::Tensor& labels_in) {
    at::Tensor logits = logits_in.contiguous(), labels = labels_in.contiguous();
    const int64_t rows = logits.size(0), classes = logits.size(1);
    std::vector<float> scratch(static_cast<size_t>(rows * classes));
    kernels::LossSums s = kernels::softmax_cross_entropy(table(), logits.data_ptr<float>(),
                                                         labels.data_ptr<int64_t>(), rows, classes,
                                                         0.0f, nullptr, scratch.data());
    ctx->save_for_backward({logits, labels});
    return at::scalar_tensor(static_cast<float>(s.loss_sum / static_cast<double>(rows)),
                             logits.options());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor& logits = saved[0];
    const int64_t rows = logits.size(0), classes = logits.size(1);
    const double g = grads[0].item<double>();
    at::Tensor d = at::empty_like(logits);
    kernels::softmax_cross_entropy(table(), logits.data_ptr<float>(), saved[1].data_ptr<int64_t>(),
                                   rows, classes, static_cast<float>(g / static_cast<double>(rows)),
                                   d.data_ptr<float>(), d.data_ptr<float>());
    return {d, at::Tensor()};
  }
};

}  // namespace

at::Tensor cross_entropy(const at::Tensor& logits, const at::Tensor& labels) {
  if (logits.dim() == 2 && logits.size(0) > 0 && logits.size(1) > 0 && logits.device().is_cpu() &&
      logits.scalar_type() == at::kFloat && labels.dim() == 1 && labels.device().is_cpu() &&
      labels.scalar_type() == at::kLong && labels.size(0) == logits.size(0))
    return CrossEntropyFunction::apply(logits, labels);
  return at::cross_entropy_loss(logits, labels);
}

}  // namespace chop::runtime
