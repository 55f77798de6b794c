// The shared CPU kernel tables: the GEMM against a double-precision reference for shapes that hit
// every tile edge, every init mode and strided operands; bit-identical results across
// instruction sets and across any split of the work over threads; elementwise kernels equal
// across instruction sets; the integer quantizer fused into B's packing equals it run first.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/kernels.h"

namespace chop::kernels {
namespace {

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512})
    if (isa_supported(isa)) out.push_back(isa);
  return out;
}

std::vector<float> random_floats(int64_t n, uint64_t seed) {
  std::mt19937 gen(static_cast<uint32_t>(seed));
  std::normal_distribution<float> dist;
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) f = dist(gen);
  return v;
}

struct Case {
  int64_t m, n, k;
  bool a_transposed, b_transposed;
  GemmInit init;
};

// Runs one GEMM with `kt`, splitting the column panels over tasks as `runner` does.
std::vector<float> run_gemm(const KernelTable& kt, const Case& c, const std::vector<float>& a,
                            const std::vector<float>& b, const std::vector<float>& c0,
                            const std::vector<float>& bias, const TaskRunner* runner) {
  GemmArgs g;
  g.m = c.m, g.n = c.n, g.k = c.k;
  g.a = a.data();
  g.a_rs = c.a_transposed ? 1 : c.k;
  g.a_cs = c.a_transposed ? c.m : 1;
  g.b = b.data();
  g.b_rs = c.b_transposed ? 1 : c.n;
  g.b_cs = c.b_transposed ? c.k : 1;
  std::vector<float> out = c0;
  g.c = out.data(), g.ldc = c.n;
  g.init = c.init;
  g.bias = bias.data();
  std::vector<float> scratch(static_cast<size_t>(gemm_scratch_floats(kt, c.m, c.n, c.k)));
  gemm(kt, g, scratch.data(), runner);
  return out;
}

// Tasks run in reverse order, one at a time: a different split than the serial loop.
void reversed_tasks(void*, int64_t n_tasks, void* ctx, void (*task)(void*, int64_t, int64_t)) {
  for (int64_t t = n_tasks - 1; t >= 0; --t) task(ctx, t, t + 1);
}

TEST(Gemm, MatchesReferenceAndIsIdenticalAcrossIsasAndThreadSplits) {
  const std::vector<Case> cases = {
      {256, 64, 16, false, true, GemmInit::kBiasPerColumn},    // x W^T + b (jsc-s)
      {256, 256, 784, false, true, GemmInit::kBiasPerColumn},  // MNIST layer 1
      {13, 37, 29, false, false, GemmInit::kZero},
      {64, 784, 256, true, false, GemmInit::kZero},  // g^T x (weight gradient)
      {7, 5, 300, false, false, GemmInit::kAccumulate},
      {33, 70, 3, true, true, GemmInit::kBiasPerRow},
      {1, 1, 1, false, false, GemmInit::kBiasPerColumn},
      {9, 17, 0, false, false, GemmInit::kBiasPerRow},
      {300, 40, 520, false, false,
       GemmInit::kZero},                             // rows over one block, A in place: one k block
      {300, 40, 520, true, false, GemmInit::kZero},  // A packed: k over two blocks
      // A in place, k over two blocks (1100 -> 2 x 550); k of 1024 in one block, with the
      // columns over two blocks (n_block keeps the packed B block within kKc x kNc).
      {9, 50, 1100, false, true, GemmInit::kAccumulate},
      {7, 1040, 1024, false, true, GemmInit::kBiasPerColumn},
      // x^T g of a 32-wide layer (B read in place, full tiles of adjacent A rows), and
      // narrower B read in place under edge tiles.
      {64, 32, 256, true, false, GemmInit::kZero},
      {29, 20, 50, true, false, GemmInit::kAccumulate},
      {40, 12, 33, false, false, GemmInit::kBiasPerRow},
      // Edge tiles of each height class (4 and 8 rows after full 12-row panels, both A
      // layouts), and a tall weight gradient whose row blocks end on whole panels (MNIST's 784).
      {16, 40, 30, false, true, GemmInit::kZero},
      {20, 33, 19, true, false, GemmInit::kBiasPerRow},
      {3, 48, 21, false, false, GemmInit::kAccumulate},
      {784, 40, 256, true, false, GemmInit::kZero},
      // Narrow outputs (the AVX2 table's half-width tile, nj <= 8): jsc-tiny's 5-class head
      // over many row panels, and both sides of the 8-column boundary.
      {250, 5, 16, false, true, GemmInit::kBiasPerColumn},
      {50, 8, 16, false, true, GemmInit::kBiasPerColumn},
      {50, 9, 16, false, true, GemmInit::kBiasPerColumn},
      {31, 24, 10, false, false, GemmInit::kAccumulate},
  };
  TaskRunner reversed;
  reversed.run = reversed_tasks;
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k) +
                 " init " + std::to_string(static_cast<int>(c.init)));
    const auto a = random_floats(std::max<int64_t>(1, c.m * c.k), 1);
    const auto b = random_floats(std::max<int64_t>(1, c.k * c.n), 2);
    const auto c0 = random_floats(c.m * c.n, 3);
    const auto bias = random_floats(std::max(c.m, c.n), 4);
    // Reference in double.
    std::vector<double> want(static_cast<size_t>(c.m * c.n));
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double s = c.init == GemmInit::kZero            ? 0.0
                   : c.init == GemmInit::kAccumulate    ? c0[i * c.n + j]
                   : c.init == GemmInit::kBiasPerColumn ? bias[j]
                                                        : bias[i];
        for (int64_t l = 0; l < c.k; ++l) {
          const float av = c.a_transposed ? a[l * c.m + i] : a[i * c.k + l];
          const float bv = c.b_transposed ? b[j * c.k + l] : b[l * c.n + j];
          s += static_cast<double>(av) * bv;
        }
        want[static_cast<size_t>(i * c.n + j)] = s;
      }
    std::vector<float> first;
    for (Isa isa : supported_isas()) {
      SCOPED_TRACE(isa_name(isa));
      const KernelTable& kt = kernel_table(isa);
      auto got = run_gemm(kt, c, a, b, c0, bias, nullptr);
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 1e-4 * (1.0 + std::abs(want[i]))) << i;
      auto split = run_gemm(kt, c, a, b, c0, bias, &reversed);
      EXPECT_EQ(0, std::memcmp(got.data(), split.data(), sizeof(float) * got.size()));
      if (first.empty()) first = got;
      EXPECT_EQ(0, std::memcmp(got.data(), first.data(), sizeof(float) * got.size()))
          << "differs from " << isa_name(supported_isas()[0]);
    }
  }
}

TEST(Gemm, SumsEachElementInOrderWithFusedMultiplyAdd) {
  // The forward product of a linear layer: bias first, then fmaf over k in order.
  const int64_t m = 5, n = 3, k = 41;
  const auto a = random_floats(m * k, 5), b = random_floats(k * n, 6), bias = random_floats(n, 7);
  for (Isa isa : supported_isas()) {
    Case c{m, n, k, false, false, GemmInit::kBiasPerColumn};
    auto got = run_gemm(kernel_table(isa), c, a, b, std::vector<float>(m * n), bias, nullptr);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float s = bias[j];
        for (int64_t l = 0; l < k; ++l) s = std::fma(a[i * k + l], b[l * n + j], s);
        EXPECT_EQ(s, got[i * n + j]) << isa_name(isa);
      }
  }
}

TEST(Gemm, ReluEpilogueEqualsReluAfterTheProduct) {
  // A linear layer with its ReLU fused: the stored C is exactly relu(C) as the relu kernel
  // writes it, on every table, with k over several blocks (only the last block applies it): A
  // packed (k blocks of at most 256) and A read in place (at most 1024).
  const std::vector<Case> cases = {{40, 45, 520, false, true, GemmInit::kBiasPerColumn},
                                   {80, 70, 520, true, true, GemmInit::kBiasPerColumn},
                                   {8, 21, 1100, false, true, GemmInit::kBiasPerColumn},
                                   {13, 5, 7, true, false, GemmInit::kZero},
                                   {250, 5, 16, false, true, GemmInit::kBiasPerColumn},
                                   {6, 9, 0, false, false, GemmInit::kBiasPerColumn}};
  for (const Case& c : cases) {
    auto a = random_floats(std::max<int64_t>(1, c.m * c.k), 12);
    auto b = random_floats(std::max<int64_t>(1, c.k * c.n), 13);
    const auto bias = random_floats(std::max(c.m, c.n), 14);
    if (c.k > 0) a[0] = std::numeric_limits<float>::quiet_NaN();  // a NaN row stays NaN
    for (Isa isa : supported_isas()) {
      SCOPED_TRACE(isa_name(isa));
      const KernelTable& kt = kernel_table(isa);
      auto plain = run_gemm(kt, c, a, b, std::vector<float>(c.m * c.n), bias, nullptr);
      std::vector<float> want(plain.size());
      kt.relu(plain.data(), want.data(), static_cast<int64_t>(plain.size()));
      GemmArgs g;
      g.m = c.m, g.n = c.n, g.k = c.k, g.a = a.data();
      g.a_rs = c.a_transposed ? 1 : c.k, g.a_cs = c.a_transposed ? c.m : 1;
      g.b = b.data(), g.b_rs = c.b_transposed ? 1 : c.n, g.b_cs = c.b_transposed ? c.k : 1;
      std::vector<float> got(plain.size(), 7.0f);
      g.c = got.data(), g.ldc = c.n, g.init = c.init, g.bias = bias.data(), g.relu = true;
      std::vector<float> scratch(static_cast<size_t>(gemm_scratch_floats(kt, c.m, c.n, c.k)));
      gemm(kt, g, scratch.data());
      EXPECT_EQ(0, std::memcmp(got.data(), want.data(), sizeof(float) * got.size()));
    }
  }
}

TEST(Gemm, PrepackedAEqualsPackingInsideTheProduct) {
  // x^T of a weight gradient packed column by column (one batch row at a time, in groups that
  // cross k blocks: k = 600 is three blocks of 200) gives C bit for bit as gemm()'s own packing,
  // on every table, with m off the tile height and a partial last block.
  for (const Case& c : {Case{784, 256, 256, true, false, GemmInit::kZero},
                        Case{263, 70, 600, true, false, GemmInit::kAccumulate},
                        Case{30, 33, 5, true, false, GemmInit::kZero}}) {
    const auto a = random_floats(c.m * c.k, 21);  // x [k rows][m]: A = x^T, columns contiguous
    const auto b = random_floats(c.k * c.n, 22);
    const auto c0 = random_floats(c.m * c.n, 23);
    for (Isa isa : supported_isas()) {
      SCOPED_TRACE(isa_name(isa));
      const KernelTable& kt = kernel_table(isa);
      const auto want = run_gemm(kt, c, a, b, c0, {}, nullptr);
      std::vector<float> packed(static_cast<size_t>(packed_a_floats(kt, c.m, c.k)), 7.0f);
      for (int64_t l = 0; l < c.k; l += 7)
        pack_a_columns(kt, a.data() + l * c.m, c.m, c.m, c.k, l, std::min<int64_t>(7, c.k - l),
                       packed.data());
      GemmArgs g;
      g.m = c.m, g.n = c.n, g.k = c.k, g.a = a.data(), g.a_rs = 1, g.a_cs = c.m;
      g.a_packed = packed.data();
      g.b = b.data(), g.b_rs = c.n, g.b_cs = 1;
      std::vector<float> got = c0;
      g.c = got.data(), g.ldc = c.n, g.init = c.init;
      std::vector<float> scratch(static_cast<size_t>(gemm_scratch_floats(kt, c.m, c.n, c.k)));
      gemm(kt, g, scratch.data());
      EXPECT_EQ(0, std::memcmp(got.data(), want.data(), sizeof(float) * got.size()));
      // The padding rows of the last panel are zero, as gemm()'s packing leaves them.
      const int64_t pad = (c.m + kt.mr - 1) / kt.mr * kt.mr - c.m;
      if (pad > 0) {
        EXPECT_EQ(0.0f, packed[static_cast<size_t>(packed_a_floats(kt, c.m, c.k) - 1)]);
      }
    }
  }
}

TEST(Gemm, ScratchSizedForTheLargestProductHoldsEverySmallerOne) {
  // The engine sizes scratch once for its largest batch; a smaller last batch must fit in it.
  // k blocks are not monotonic in k (1100 -> 2 x 550, 1024 -> 1 x 1024), so the bound is
  // checked with a guard past its end, A in place and A packed, k at and under the largest.
  for (Isa isa : supported_isas()) {
    SCOPED_TRACE(isa_name(isa));
    const KernelTable& kt = kernel_table(isa);
    for (const Case& big : {Case{40, 300, 1100, false, true, GemmInit::kZero},
                            Case{300, 70, 1100, true, false, GemmInit::kZero}}) {
      const int64_t floats = gemm_scratch_floats(kt, big.m, big.n, big.k);
      for (const int64_t k : {int64_t{1100}, int64_t{1024}, int64_t{1000}, int64_t{300}}) {
        Case c = big;
        c.k = k;
        SCOPED_TRACE(std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(k));
        const auto a = random_floats(c.m * c.k, 31), b = random_floats(c.k * c.n, 32);
        const std::vector<float> c0(static_cast<size_t>(c.m * c.n));
        const auto want = run_gemm(kt, c, a, b, c0, {}, nullptr);
        std::vector<float> scratch(static_cast<size_t>(floats + 64), -3.0f);
        GemmArgs g;
        g.m = c.m, g.n = c.n, g.k = c.k, g.a = a.data();
        g.a_rs = c.a_transposed ? 1 : c.k, g.a_cs = c.a_transposed ? c.m : 1;
        g.b = b.data(), g.b_rs = c.b_transposed ? 1 : c.n, g.b_cs = c.b_transposed ? c.k : 1;
        std::vector<float> got = c0;
        g.c = got.data(), g.ldc = c.n, g.init = c.init;
        gemm(kt, g, scratch.data());
        EXPECT_EQ(0, std::memcmp(got.data(), want.data(), sizeof(float) * got.size()));
        for (int64_t i = floats; i < floats + 64; ++i)
          ASSERT_EQ(-3.0f, scratch[static_cast<size_t>(i)]) << "written past the bound at " << i;
      }
    }
  }
}

TEST(KernelTables, ReluMaskColumnSumIsReluBackwardThenColumnSum) {
  const int64_t rows = 37, cols = 21;
  auto y = random_floats(rows * cols, 15);
  const auto g0 = random_floats(rows * cols, 16);
  y[2] = -0.0f, y[3] = 0.0f, y[4] = std::numeric_limits<float>::quiet_NaN();
  for (Isa isa : supported_isas()) {
    SCOPED_TRACE(isa_name(isa));
    const KernelTable& kt = kernel_table(isa);
    std::vector<float> want_g(g0.size()), want_sum(cols), got_g = g0, got_sum(cols);
    std::vector<double> scratch(cols);
    kt.relu_backward(y.data(), g0.data(), want_g.data(), rows * cols, false);
    kt.column_sum(want_g.data(), rows, cols, want_sum.data(), scratch.data(), false);
    kt.relu_mask_column_sum(y.data(), got_g.data(), rows, cols, got_sum.data(), scratch.data());
    EXPECT_EQ(0, std::memcmp(got_g.data(), want_g.data(), sizeof(float) * got_g.size()));
    EXPECT_EQ(0, std::memcmp(got_sum.data(), want_sum.data(), sizeof(float) * cols));
  }
}

TEST(KernelTables, BatchNormReluVariantsEqualReluThenTheUnfusedKernels) {
  // relu(affine) in the store, and dy masked where x * alpha + beta <= 0, give what the ReLU
  // kernels give around the plain batch-norm kernels: values, -0, NaN and exact zeros included.
  const int64_t rows = 9, ch = 5, p = 7, n = rows * ch * p;
  auto x = random_floats(n, 14), dy = random_floats(n, 15);
  x[2] = std::numeric_limits<float>::quiet_NaN();
  auto alpha = random_floats(ch, 16), beta = random_floats(ch, 17);
  alpha[1] = 0.0f, beta[1] = 0.0f;  // the whole channel exactly 0: masked
  alpha[3] = 0.0f, beta[3] = -0.0f;
  const float* relu[2] = {alpha.data(), beta.data()};
  const std::vector<float> mean = random_floats(ch, 18), k = random_floats(ch, 19),
                           gm = random_floats(ch, 20), is = random_floats(ch, 21),
                           w = random_floats(ch, 22);
  std::vector<double> dmean(mean.begin(), mean.end());
  for (Isa isa : supported_isas())
    for (int64_t pp : {int64_t{1}, p}) {
      SCOPED_TRACE(std::string(isa_name(isa)) + " p " + std::to_string(pp));
      const KernelTable& kt = kernel_table(isa);
      const int64_t r = n / (ch * pp);
      std::vector<float> y(n), want_y(n), g(n), want_dx(n), got_dx(n);
      kt.channel_affine(x.data(), want_y.data(), r, ch, pp, alpha.data(), beta.data(), false);
      kt.relu(want_y.data(), want_y.data(), n);
      kt.channel_affine(x.data(), y.data(), r, ch, pp, alpha.data(), beta.data(), true);
      EXPECT_EQ(0, std::memcmp(y.data(), want_y.data(), sizeof(float) * n));
      kt.relu_backward(want_y.data(), dy.data(), g.data(), n, false);
      std::vector<double> s_want(ch), d_want(ch), s_got(ch), d_got(ch);
      kt.channel_grad_sums(x.data(), g.data(), r, ch, pp, dmean.data(), s_want.data(),
                           d_want.data(), nullptr);
      kt.channel_grad_sums(x.data(), dy.data(), r, ch, pp, dmean.data(), s_got.data(), d_got.data(),
                           relu);
      EXPECT_EQ(0, std::memcmp(s_got.data(), s_want.data(), sizeof(double) * ch));
      EXPECT_EQ(0, std::memcmp(d_got.data(), d_want.data(), sizeof(double) * ch));
      kt.bn_input_grad(x.data(), g.data(), want_dx.data(), r, ch, pp, mean.data(), k.data(),
                       gm.data(), is.data(), w.data(), false, nullptr);
      kt.bn_input_grad(x.data(), dy.data(), got_dx.data(), r, ch, pp, mean.data(), k.data(),
                       gm.data(), is.data(), w.data(), false, relu);
      EXPECT_EQ(0, std::memcmp(got_dx.data(), want_dx.data(), sizeof(float) * n));
    }
}

TEST(KernelTables, ElementwiseTablesAgreeBitForBit) {
  const int64_t n = 1037, rows = 7, ch = 13, p = 11;
  auto x = random_floats(n, 8), dy = random_floats(n, 9);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[4] = -0.0f;
  x[5] = 2.5f / 16;  // a rounding tie at 4 fractional bits
  std::vector<std::vector<float>> results;
  for (Isa isa : supported_isas()) {
    const KernelTable& kt = kernel_table(isa);
    std::vector<float> out;
    std::vector<float> y(n), d(n, 1.0f);
    kt.quantize_int(x.data(), y.data(), n, 16.0f, 1.0f / 16, -128.0f, 127.0f);
    out.insert(out.end(), y.begin(), y.end());
    kt.relu(x.data(), y.data(), n);
    out.insert(out.end(), y.begin(), y.end());
    kt.relu_backward(x.data(), dy.data(), d.data(), n, true);
    out.insert(out.end(), d.begin(), d.end());
    kt.clamp(x.data(), y.data(), n, -0.5f, 0.75f);
    out.insert(out.end(), y.begin(), y.end());
    kt.clamp_backward(x.data(), dy.data(), d.data(), n, -0.5f, 0.75f, false);
    out.insert(out.end(), d.begin(), d.end());
    y = x;
    for (float& v : y) v *= 20.0f;
    kt.exp_inplace(y.data(), n);
    out.insert(out.end(), y.begin(), y.end());
    std::vector<double> s1(ch), s2(ch), s3(ch);
    std::vector<float> xs(x.begin() + 6, x.begin() + 6 + rows * ch * p);
    std::vector<float> gs(dy.begin(), dy.begin() + rows * ch * p);
    for (int64_t pp : {int64_t{1}, p}) {
      kt.channel_sum(xs.data(), rows, ch, pp, s1.data());
      kt.channel_centered_square_sum(xs.data(), rows, ch, pp, s1.data(), s2.data());
      kt.channel_grad_sums(xs.data(), gs.data(), rows, ch, pp, s1.data(), s3.data(), s2.data(),
                           nullptr);
      for (int64_t c = 0; c < ch; ++c) out.push_back(static_cast<float>(s2[c] + s3[c]));
      // The batch norm + ReLU variants (affine store with relu, masked sums and input grad).
      const auto alpha = random_floats(ch, 12), beta = random_floats(ch, 13);
      const float* relu[2] = {alpha.data(), beta.data()};
      std::vector<float> ya(xs.size());
      kt.channel_affine(xs.data(), ya.data(), rows, ch, pp, alpha.data(), beta.data(), true);
      out.insert(out.end(), ya.begin(), ya.end());
      kt.channel_grad_sums(xs.data(), gs.data(), rows, ch, pp, s1.data(), s3.data(), s2.data(),
                           relu);
      for (int64_t c = 0; c < ch; ++c) out.push_back(static_cast<float>(s2[c] + s3[c]));
      kt.bn_input_grad(xs.data(), gs.data(), ya.data(), rows, ch, pp, alpha.data(), beta.data(),
                       alpha.data(), beta.data(), alpha.data(), false, relu);
      out.insert(out.end(), ya.begin(), ya.end());
    }
    std::vector<float> pm = random_floats(64, 10), g = random_floats(64, 11), m(64, 0.1f),
                       v(64, 0.2f);
    AdamConstants ak{0.999f, 0.01f, 0.9f, 0.1f, 0.999f, 0.001f, 0.5f, 1e-8f, -0.01f};
    kt.adam(pm.data(), g.data(), m.data(), v.data(), 64, ak);
    out.insert(out.end(), pm.begin(), pm.end());
    results.push_back(out);
  }
  for (size_t i = 1; i < results.size(); ++i)
    EXPECT_EQ(0,
              std::memcmp(results[i].data(), results[0].data(), sizeof(float) * results[0].size()))
        << isa_name(supported_isas()[i]);
}

TEST(KernelTables, ExpIsWithinTwoUlpOfLibm) {
  const KernelTable& kt = kernel_table(default_isa());
  std::vector<float> x;
  for (float v = -87.0f; v < 88.0f; v += 0.01737f) x.push_back(v);
  x.push_back(0.0f);
  x.push_back(-100.0f);
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  std::vector<float> y = x;
  kt.exp_inplace(y.data(), static_cast<int64_t>(y.size()));
  for (size_t i = 0; i + 3 < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    ASSERT_NEAR(y[i], want, 2.5e-7 * want) << x[i];
  }
  EXPECT_EQ(y[y.size() - 3], 1.0f);
  EXPECT_LT(y[y.size() - 2], 1e-37f);
  EXPECT_TRUE(std::isnan(y.back()));
}

TEST(KernelTables, IntegerQuantizerRoundsHalfToEvenAndKeepsNan) {
  const KernelTable& kt = kernel_table(default_isa());
  const float x[] = {0.03125f, 0.09375f, -0.03125f,
                     100.0f,   -100.0f,  std::numeric_limits<float>::quiet_NaN()};
  float y[6];
  kt.quantize_int(x, y, 6, 16.0f, 1.0f / 16, -8.0f, 7.0f);  // 4 bits, 4 fractional
  EXPECT_EQ(y[0], 0.0f);                                    // 0.5 -> 0
  EXPECT_EQ(y[1], 2.0f / 16);                               // 1.5 -> 2
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_EQ(y[3], 7.0f / 16);  // clamped
  EXPECT_EQ(y[4], -8.0f / 16);
  EXPECT_TRUE(std::isnan(y[5]));
}

// Values that stress the integer quantizer: ties at every scale, signed zeros, huge, infinite, NaN.
std::vector<float> quantizer_inputs(int64_t n, uint64_t seed) {
  std::vector<float> v = random_floats(n, seed);
  const float special[] = {0.0f,
                           -0.0f,
                           0.03125f,
                           -0.09375f,
                           1e30f,
                           -1e30f,
                           std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(),
                           7.5f / 16,
                           -8.5f / 16};
  for (size_t i = 0; i < v.size(); i += 3) v[i] = special[(i / 3) % 10];
  return v;
}

TEST(KernelTables, PackBQuantizedEqualsQuantizeThenPackBitForBit) {
  const IntQuant q{16.0f, 1.0f / 16, -8.0f, 7.0f};
  for (Isa isa : supported_isas()) {
    const KernelTable& kt = kernel_table(isa);
    for (int64_t k : {1, 3, 8, 16, 17, 33})
      for (int64_t n : {1, 5, 16, 17, 40, 64})
        for (bool transposed : {false, true}) {  // B = x^T (columns contiguous) or rows contiguous
          SCOPED_TRACE(std::string(isa_name(isa)) + " k " + std::to_string(k) + " n " +
                       std::to_string(n) + (transposed ? " B^T" : ""));
          const int64_t rs = transposed ? 1 : n, cs = transposed ? k : 1;
          const std::vector<float> b = quantizer_inputs(k * n, static_cast<uint64_t>(k * 100 + n));
          std::vector<float> bq(b.size());
          kt.quantize_int(b.data(), bq.data(), k * n, q.scale, q.inv_scale, q.lo, q.hi);
          const size_t packed = static_cast<size_t>(k * ((n + kt.nr - 1) / kt.nr) * kt.nr);
          std::vector<float> want(packed, 1.0f), got(packed, 2.0f), plain(packed, 3.0f),
              unquantized(packed, 4.0f);
          kt.pack_b(bq.data(), rs, cs, k, n, want.data());
          kt.pack_b_quantized(b.data(), rs, cs, k, n, got.data(), &q);
          EXPECT_EQ(std::memcmp(want.data(), got.data(), packed * sizeof(float)), 0);
          // Without a quantizer: pack_b itself, whose values are B's own.
          kt.pack_b(b.data(), rs, cs, k, n, plain.data());
          kt.pack_b_quantized(b.data(), rs, cs, k, n, unquantized.data(), nullptr);
          EXPECT_EQ(std::memcmp(plain.data(), unquantized.data(), packed * sizeof(float)), 0);
          for (int64_t l = 0; l < k; ++l)
            for (int64_t j = 0; j < n; ++j) {
              const float p =
                  plain[static_cast<size_t>((j / kt.nr) * k * kt.nr + l * kt.nr + j % kt.nr)];
              const float s = b[static_cast<size_t>(l * rs + j * cs)];
              ASSERT_TRUE(std::memcmp(&p, &s, sizeof p) == 0) << l << "," << j;
            }
        }
  }
}

TEST(Gemm, QuantizingBInItsPackingEqualsQuantizingFirst) {
  const IntQuant q{8.0f, 1.0f / 8, -128.0f, 127.0f};
  for (Isa isa : supported_isas()) {
    const KernelTable& kt = kernel_table(isa);
    // A 5-class head over a batch, as a class-major linear computes it: C [out, rows].
    for (int64_t rows : {1, 16, 37, 300})
      for (int64_t in : {3, 16, 19}) {
        const int64_t out = 5;
        const std::vector<float> w = random_floats(out * in, 1), x = random_floats(rows * in, 2);
        const std::vector<float> bias = random_floats(out, 3);
        std::vector<float> xq(x.size());
        kt.quantize_int(x.data(), xq.data(), rows * in, q.scale, q.inv_scale, q.lo, q.hi);
        std::vector<float> want(static_cast<size_t>(out * rows)), got(want.size());
        std::vector<float> scratch(static_cast<size_t>(gemm_scratch_floats(kt, out, rows, in)));
        GemmArgs g;
        g.m = out, g.n = rows, g.k = in;
        g.a = w.data(), g.a_rs = in, g.a_cs = 1;
        g.b = xq.data(), g.b_rs = 1, g.b_cs = in;
        g.c = want.data(), g.ldc = rows;
        g.init = GemmInit::kBiasPerRow, g.bias = bias.data();
        g.relu = true;
        gemm(kt, g, scratch.data());
        g.b = x.data(), g.b_quant = &q, g.c = got.data();
        gemm(kt, g, scratch.data());
        EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0)
            << isa_name(isa) << " rows " << rows << " in " << in;
      }
  }
}

}  // namespace
}  // namespace chop::kernels
