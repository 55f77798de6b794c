// runtime::linear_cpu (the training hot path's own AVX2 kernels) against at::linear: values and
// all three gradients for shapes that exercise every register-block tail, no bias, strided
// input, and bit-identical results for any thread count.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include "runtime/linear_cpu.h"

namespace chop::runtime {
namespace {

double rel_err(const at::Tensor& a, const at::Tensor& b) {
  return ((a - b).abs().max() / (b.abs().max() + 1e-12)).item<double>();
}

struct Grads {
  at::Tensor y, gx, gw, gb;
};

Grads run(bool ours, const at::Tensor& x0, const at::Tensor& w0, const at::Tensor& b0,
          const at::Tensor& gy) {
  at::Tensor x = x0.detach().clone().set_requires_grad(true);
  at::Tensor w = w0.detach().clone().set_requires_grad(true);
  at::Tensor b = b0.defined() ? b0.detach().clone().set_requires_grad(true) : at::Tensor();
  at::Tensor y = ours ? linear_cpu(x, w, b) : at::linear(x, w, b);
  y.backward(gy);
  return {y.detach(), x.grad(), w.grad(), b.defined() ? b.grad() : at::Tensor()};
}

TEST(LinearCpu, MatchesAtLinearForwardAndBackward) {
  if (!linear_cpu_available()) GTEST_SKIP() << "no AVX2/FMA";
  at::set_num_threads(1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const std::vector<std::array<int64_t, 3>> shapes = {{256, 16, 64}, {256, 64, 32}, {256, 32, 5},
                                                      {7, 3, 21},    {1, 16, 5},    {5, 17, 33},
                                                      {64, 784, 10}, {33, 8, 16},   {4, 1, 1}};
  for (auto [n, in, out] : shapes) {
    SCOPED_TRACE(std::to_string(n) + "x" + std::to_string(in) + "->" + std::to_string(out));
    at::Tensor x = at::randn({n, in}, gen), w = at::randn({out, in}, gen);
    at::Tensor b = at::randn({out}, gen), gy = at::randn({n, out}, gen);
    for (bool with_bias : {true, false}) {
      Grads want = run(false, x, w, with_bias ? b : at::Tensor(), gy);
      Grads got = run(true, x, w, with_bias ? b : at::Tensor(), gy);
      EXPECT_LT(rel_err(got.y, want.y), 1e-6);
      EXPECT_LT(rel_err(got.gx, want.gx), 1e-6);
      EXPECT_LT(rel_err(got.gw, want.gw), 1e-6);
      if (with_bias) {
        EXPECT_LT(rel_err(got.gb, want.gb), 1e-6);
      }
    }
  }
}

TEST(LinearCpu, StridedInputAndNoGradMode) {
  if (!linear_cpu_available()) GTEST_SKIP() << "no AVX2/FMA";
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  at::Tensor xt = at::randn({16, 40}, gen).t();  // [40, 16], not contiguous
  at::Tensor w = at::randn({24, 16}, gen), b = at::randn({24}, gen);
  EXPECT_LT(rel_err(linear_cpu(xt, w, b), at::linear(xt, w, b)), 1e-6);
  const at::Tensor w_grad = w.detach().clone().set_requires_grad(true);
  const at::Tensor via_autograd = linear_cpu(xt, w_grad, b).detach();
  const at::Tensor no_bias_autograd = linear_cpu(xt, w_grad, at::Tensor()).detach();
  at::NoGradGuard no_grad;
  EXPECT_LT(rel_err(linear_cpu(xt, w, b), at::linear(xt, w, b)), 1e-6);
  // The no-gradient path skips the autograd node: the same numbers, bit for bit.
  EXPECT_TRUE(at::equal(linear_cpu(xt, w_grad, b), via_autograd));
  EXPECT_TRUE(at::equal(linear_cpu(xt, w, at::Tensor()), no_bias_autograd));
  EXPECT_FALSE(linear_cpu(xt, w_grad, b).requires_grad());
}

// Transposed weights are reused while the weight is unchanged: an in-place update, also one
// through the flat buffer the trainer's optimizer writes (a detached view, as FlatOptimizer's
// parameters), must be seen on the next call.
TEST(LinearCpu, SeesInPlaceWeightUpdatesAlsoThroughAFlatBuffer) {
  if (!linear_cpu_available()) GTEST_SKIP() << "no AVX2/FMA";
  at::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
  const at::Tensor x = at::randn({7, 16}, gen);
  at::Tensor flat = at::randn({100}, gen);
  at::Tensor w = flat.narrow(0, 0, 80).view({5, 16}).detach();
  const at::Tensor y1 = linear_cpu(x, w, at::Tensor());
  EXPECT_LT(rel_err(y1, at::linear(x, w)), 1e-6);
  EXPECT_TRUE(at::equal(linear_cpu(x, w, at::Tensor()), y1));
  flat.mul_(-2.0);
  EXPECT_LT(rel_err(linear_cpu(x, w, at::Tensor()), at::linear(x, w)), 1e-6);
  w.add_(1.0);
  EXPECT_LT(rel_err(linear_cpu(x, w, at::Tensor()), at::linear(x, w)), 1e-6);
}

TEST(LinearCpu, ResultsDoNotDependOnTheThreadCount) {
  if (!linear_cpu_available()) GTEST_SKIP() << "no AVX2/FMA";
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  at::Tensor x = at::randn({512, 300}, gen), w = at::randn({200, 300}, gen);
  at::Tensor b = at::randn({200}, gen), gy = at::randn({512, 200}, gen);
  at::set_num_threads(1);
  Grads one = run(true, x, w, b, gy);
  at::set_num_threads(2);
  Grads two = run(true, x, w, b, gy);
  at::set_num_threads(1);
  EXPECT_TRUE(at::equal(one.y, two.y));
  EXPECT_TRUE(at::equal(one.gx, two.gx));
  EXPECT_TRUE(at::equal(one.gw, two.gw));
}

}  // namespace
}  // namespace chop::runtime
