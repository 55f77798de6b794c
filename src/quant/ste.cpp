// Straight-through estimator as a custom autograd node, so the forward value is bit-exact
// (x + (q - x).detach() would round twice and can differ from q by one ulp).
#include "quant/ste.h"

#include <torch/csrc/autograd/custom_function.h>

namespace chop::quant {
namespace {

struct StraightThrough : public torch::autograd::Function<StraightThrough> {
  static at::Tensor forward(torch::autograd::AutogradContext* /*ctx*/, const at::Tensor& x,
                            const TensorFn* fn) {
    return (*fn)(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* /*ctx*/,
                                                 torch::autograd::variable_list grad_out) {
    return {grad_out[0], at::Tensor()};
  }
};

}  // namespace

at::Tensor straight_through(const at::Tensor& x, const TensorFn& fn) {
  if (!x.requires_grad() || !at::GradMode::is_enabled()) return fn(x);
  return StraightThrough::apply(x, &fn);
}

}  // namespace chop::quant
