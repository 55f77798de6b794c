// Straight-through gradients: as in MASE, the incoming gradient reaches the input unchanged
// through round, clamp, thresholds and block exponents (halved by stochastic binary's (x+1)/2).
#include <gtest/gtest.h>

#include "quant/apply.h"
#include "quant/binary.h"
#include "quant/integer.h"

namespace chop::quant {
namespace {

std::vector<OperandQuant> one_of_each_family() {
  std::vector<OperandQuant> qs;
  OperandQuant q;
  q.family = QuantFamily::kInteger;
  q.width = 4;
  q.frac_width = 2;
  qs.push_back(q);
  q.is_signed = false;
  qs.push_back(q);
  q = OperandQuant{};
  q.family = QuantFamily::kMinifloatDenorm;
  q.width = 6;
  q.exponent_width = 3;
  qs.push_back(q);
  q.family = QuantFamily::kMinifloatIeee;
  qs.push_back(q);
  q = OperandQuant{};
  q.family = QuantFamily::kLog;
  q.width = 4;
  qs.push_back(q);
  q = OperandQuant{};
  q.family = QuantFamily::kBlockFp;
  q.width = 4;
  q.exponent_width = 4;
  q.block_size = {1, 4};
  q.skip_first_dim = true;
  qs.push_back(q);
  q.family = QuantFamily::kBlockMinifloat;
  q.width = 6;
  q.exponent_width = 3;
  q.exponent_bias_width = 3;
  qs.push_back(q);
  q.family = QuantFamily::kBlockLog;
  q.width = 4;
  qs.push_back(q);
  q = OperandQuant{};
  q.family = QuantFamily::kBinary;
  q.bipolar = true;
  qs.push_back(q);
  q.bipolar = false;
  qs.push_back(q);
  q = OperandQuant{};
  q.family = QuantFamily::kTernary;
  q.scaling_factor = true;
  qs.push_back(q);
  q.scaling_factor = false;
  q.mean = 0.5;
  qs.push_back(q);
  return qs;
}

TEST(Ste, GradientPassesUnchangedForEveryFamily) {
  // Values far outside every range, so clamps are active.
  at::Tensor base = at::tensor({-100.f, -3.f, -0.4f, 0.f, 0.01f, 0.7f, 2.5f, 1e4f}).reshape({2, 4});
  at::Tensor w = at::arange(1, 9, at::kFloat).reshape({2, 4});
  for (const auto& q : one_of_each_family()) {
    at::Tensor x = base.clone().set_requires_grad(true);
    at::Tensor y = apply(q, x);
    ASSERT_TRUE(y.requires_grad()) << family_name(q.family);
    y.mul(w).sum().backward();
    EXPECT_TRUE(at::equal(x.grad(), w)) << family_name(q.family);
    // The forward value is exactly the no-grad value.
    at::NoGradGuard no_grad;
    EXPECT_TRUE(at::equal(y.detach(), apply(q, base))) << family_name(q.family);
  }
}

TEST(Ste, StochasticBinaryHalvesTheGradientLikeMase) {
  at::Tensor x = at::linspace(-2, 2, 9).set_requires_grad(true);
  binary_quantize(x, true, true, make_generator(3)).sum().backward();
  EXPECT_TRUE(at::allclose(x.grad(), at::full({9}, 0.5)));
}

TEST(Ste, WeightGradientOfQuantizedLinear) {
  // d/dW of sum(linear(xq, q(W))) equals d/dW of sum(linear(xq, W)) (STE) = ones^T xq.
  at::Tensor x = at::tensor({0.3f, -1.2f, 2.f, 0.05f, 0.8f, -0.6f}).reshape({2, 3});
  at::Tensor W = at::tensor({0.5f, -9.f, 0.26f, 1.1f, 0.f, -0.33f}).reshape({2, 3});
  W.set_requires_grad(true);
  at::Tensor xq = integer_quantize(x, 8, 4);
  at::linear(xq, integer_quantize(W, 4, 2)).sum().backward();
  EXPECT_TRUE(at::allclose(W.grad(), at::ones({2, 2}).t().matmul(xq)));
}

TEST(Ste, NoGraphUnderNoGrad) {
  at::Tensor x = at::ones({3}).set_requires_grad(true);
  at::NoGradGuard no_grad;
  EXPECT_FALSE(integer_quantize(x, 8, 4).requires_grad());
}

}  // namespace
}  // namespace chop::quant
