// Hand-checked properties of the quantizers: MASE's documented examples, ranges, rounding,
// blocking shape inference, dtypes, and the dispatch in apply().
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "quant/apply.h"
#include "quant/binary.h"
#include "quant/block.h"
#include "quant/block_fp.h"
#include "quant/integer.h"
#include "quant/log.h"
#include "quant/minifloat.h"
#include "quant/ternary.h"

namespace chop::quant {
namespace {

std::vector<float> values(const at::Tensor& t) {
  at::Tensor c = t.to(at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

at::Tensor vec(std::vector<float> v) {
  return at::tensor(v, at::kFloat);
}

TEST(Integer, Width8Frac4RangeAndStep) {
  // mase.md 5.1: w=8, f=4 gives [-8, 7.9375] in steps of 0.0625.
  auto y = values(integer_quantize(vec({-100.f, -8.f, 0.06f, 7.9375f, 7.97f, 100.f}), 8, 4));
  EXPECT_EQ(y, (std::vector<float>{-8.f, -8.f, 0.0625f, 7.9375f, 7.9375f, 7.9375f}));
}

TEST(Integer, RoundsHalfToEven) {
  auto y = values(integer_quantize(vec({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f}), 8, 0));
  EXPECT_EQ(y, (std::vector<float>{0.f, 2.f, 2.f, -0.f, -2.f, -2.f}));
}

TEST(Integer, NullFracWidthIsHalfTheWidth) {
  EXPECT_EQ(effective_frac_width(8, std::nullopt), 4);
  EXPECT_EQ(effective_frac_width(5, std::nullopt), 2);
  EXPECT_EQ(effective_frac_width(5, -3), -3);
  at::Tensor x = vec({0.3f, -1.7f, 3.3f});
  EXPECT_TRUE(at::equal(integer_quantize(x, 5, std::nullopt), integer_quantize(x, 5, 2)));
}

TEST(Integer, NegativeAndLargeFracWidths) {
  // f = -2: steps of 4, range [-512, 508]; f = 6 > w = 4: steps of 1/64, range [-1/8, 7/64].
  EXPECT_EQ(values(integer_quantize(vec({5.f, 6.f, 1000.f}), 8, -2)),
            (std::vector<float>{4.f, 8.f, 508.f}));
  EXPECT_EQ(values(integer_quantize(vec({0.05f, 1.f, -1.f}), 4, 6)),
            (std::vector<float>{0.046875f, 0.109375f, -0.125f}));
}

TEST(Integer, UnsignedClampsAtZeroAndTwoToTheWidth) {
  EXPECT_EQ(values(integer_quantize(vec({-3.f, 0.5f, 15.9375f, 20.f}), 8, 4, false)),
            (std::vector<float>{0.f, 0.5f, 15.9375f, 15.9375f}));
}

TEST(Integer, InfinitiesSaturate) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(values(integer_quantize(vec({inf, -inf}), 8, 4)), (std::vector<float>{7.9375f, -8.f}));
}

TEST(Integer, KeepsDtypeForDouble) {
  at::Tensor x = at::tensor({0.3, 1e6}, at::kDouble);
  at::Tensor y = integer_quantize(x, 8, 4);
  EXPECT_EQ(y.scalar_type(), at::kDouble);
  EXPECT_DOUBLE_EQ(y[0].item<double>(), 0.3125);
}

// The fused float32 CPU pass must equal MASE's four-op sequence bit for bit, ties, NaN, signed
// zeros, overflow, denormals and non-contiguous input included.
TEST(Integer, FusedFloatPathEqualsTheOpSequence) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  at::manual_seed(3);
  at::Tensor x = at::cat({at::randn({4000}) * 40,
                          vec({0.5f, 1.5f, 2.5f, -0.5f, -2.5f, -0.0f, 0.f, inf, -inf, nan,
                               1e-40f, -1e-40f, 3e38f, -3e38f, 8388609.f, -8388607.5f}),
                          at::arange(-300, 300).to(at::kFloat) / 64});
  for (int width : {2, 4, 8, 16, 24})
    for (int frac : {-3, 0, 1, 4, 9, 30})
      for (bool is_signed : {true, false}) {
        const double scale = std::ldexp(1.0, frac);
        const double lo = is_signed ? -std::ldexp(1.0, width - 1) : 0.0;
        const double hi = is_signed ? std::ldexp(1.0, width - 1) - 1.0 : std::ldexp(1.0, width) - 1;
        at::Tensor want = at::clamp(at::round(x.mul(scale)), lo, hi).div(scale);
        at::Tensor got = integer_quantize(x, width, frac, is_signed);
        ASSERT_TRUE(at::equal(at::isnan(got), at::isnan(want)));
        at::Tensor finite = at::logical_not(at::isnan(want));
        // Bitwise: -0.0 and 0.0 must match too.
        ASSERT_TRUE(at::equal(got.masked_select(finite).view(at::kInt),
                              want.masked_select(finite).view(at::kInt)))
            << "width " << width << " frac " << frac << " signed " << is_signed;
      }
  at::Tensor strided = x.narrow(0, 0, 4000).view({-1, 2}).t();  // non-contiguous, no NaN
  EXPECT_TRUE(at::equal(integer_quantize(strided, 8, 4),
                        at::clamp(at::round(strided.mul(16.0)), -128, 127).div(16.0)));
}

TEST(Minifloat, GridValuesAreFixedPoints) {
  // (8, 4) ieee, bias 7: 1 0111 011 = -(2^0)(1 + 3/8) = -1.375 is representable.
  at::Tensor x = vec({-1.375f, 0.f, 0.3f, 2.f, -100.f, 1e-3f});
  at::Tensor q = minifloat_ieee_quantize(x, 8, 4, std::nullopt);
  EXPECT_FLOAT_EQ(q[0].item<float>(), -1.375f);
  EXPECT_TRUE(at::equal(minifloat_ieee_quantize(q, 8, 4, std::nullopt), q));
  at::Tensor d = minifloat_denorm_quantize(x, 8, 4, std::nullopt);
  EXPECT_TRUE(at::equal(minifloat_denorm_quantize(d, 8, 4, std::nullopt), d));
}

TEST(Minifloat, SaturatesAtLargestValue) {
  // ieee (8, 4), bias 7: max exponent 8, max mantissa 1 + 7/8 -> 480.
  EXPECT_FLOAT_EQ(minifloat_ieee_quantize(vec({1e9f}), 8, 4, std::nullopt).item<float>(), 480.f);
  // denorm (8, 4), bias 7: max exponent 8, mantissa 7/8 -> 224.
  EXPECT_FLOAT_EQ(minifloat_denorm_quantize(vec({1e9f}), 8, 4, std::nullopt).item<float>(), 224.f);
}

TEST(Minifloat, NearZeroPassesThrough) {
  at::Tensor x = vec({0.f, 5e-9f, -5e-9f});
  EXPECT_TRUE(at::equal(minifloat_ieee_quantize(x, 8, 4, std::nullopt), x));
  EXPECT_TRUE(at::equal(minifloat_denorm_quantize(x, 8, 4, std::nullopt), x));
}

TEST(Log, PowersOfTwoAndZero) {
  // w = 4: E = 3, bias 3, exponents [-3, 4]; 0 cannot be represented -> 2^-3.
  EXPECT_EQ(values(log_quantize(vec({0.f, 0.3f, -5.f, 100.f, 1e-6f}), 4, std::nullopt)),
            (std::vector<float>{0.125f, 0.25f, -4.f, 16.f, 0.125f}));
}

TEST(Block, ShapeInferenceFollowsMase) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(infer_block_shape({4, 40}, {1, 16}, true), (V{1, 16}));
  EXPECT_EQ(infer_block_shape({4, 40}, {16}, true), (V{1, 16}));
  EXPECT_EQ(infer_block_shape({2, 3, 20}, {16}, true), (V{1, 3, 16}));
  EXPECT_EQ(infer_block_shape({6, 20}, {2, 8}, false), (V{2, 8}));
  EXPECT_EQ(infer_block_shape({20}, {1, 8}, false), (V{8}));
  EXPECT_EQ(infer_block_shape({3, 4}, {-1, 100}, false), (V{3, 4}));
}

TEST(Block, ZeroBlocksTakeSmallestNonZeroMax) {
  at::Tensor x = vec({0.f, 0.f, 3.f, -1.f, 0.5f, 0.f}).reshape({3, 2});
  EXPECT_EQ(values(block_abs_max(x, {1, 2}, false)),
            (std::vector<float>{0.5f, 0.5f, 3.f, 3.f, 0.5f, 0.5f}));
  EXPECT_EQ(values(block_abs_max(at::zeros({2, 2}), {1, 2}, false)),
            (std::vector<float>{1.f, 1.f, 1.f, 1.f}));
}

TEST(BlockFp, SharedExponentPerBlock) {
  // Block max 3 -> exponent 2; 3 mantissa bits (w=4): steps of 0.5 in [0, 3.5].
  at::Tensor x = vec({3.f, 0.3f, 0.2f, -1.1f});
  EXPECT_EQ(values(block_fp_quantize(x, 4, 8, std::nullopt, {4}, false)),
            (std::vector<float>{3.f, 0.5f, 0.f, -1.f}));
}

TEST(Binary, BipolarAndScaled) {
  at::Tensor x = vec({-2.f, 0.f, 1.f, 3.f});
  EXPECT_EQ(values(binary_quantize(x, false, true)), (std::vector<float>{-1.f, 1.f, 1.f, 1.f}));
  // Rank-1: one slice, alpha = mean|x| = 1.5.
  EXPECT_EQ(values(binary_quantize(x, false, false)), (std::vector<float>{0.f, 0.f, 1.5f, 1.5f}));
}

TEST(Binary, StochasticIsReproducibleFromTheSeed) {
  at::Tensor x = at::linspace(-1.5, 1.5, 50);
  at::Tensor a = binary_quantize(x, true, true, make_generator(9));
  at::Tensor b = binary_quantize(x, true, true, make_generator(9));
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_EQ(a[0].item<float>(), -1.f);  // s = 0 < r
  EXPECT_EQ(a[49].item<float>(), 1.f);  // s = 1 >= r
}

TEST(Ternary, ThresholdFromStatistics) {
  EXPECT_DOUBLE_EQ(*ternary_threshold(0.4, 0.2, 3.0), 0.75 * 0.4);
  EXPECT_DOUBLE_EQ(*ternary_threshold(std::nullopt, 0.2, 3.0), 0.05 * 3.0);
  EXPECT_DOUBLE_EQ(*ternary_threshold(0.0, 0.2, std::nullopt), 0.75 * 0.2);
  EXPECT_FALSE(ternary_threshold(std::nullopt, std::nullopt, std::nullopt).has_value());
  EXPECT_EQ(values(ternary_quantize(vec({-1.f, -0.1f, 0.f, 0.2f, 0.5f}), false, 0.3)),
            (std::vector<float>{-1.f, 0.f, 0.f, 0.f, 1.f}));
}

TEST(Ternary, ScaledUsesPerSliceDeltaAndAlpha) {
  // Row 0: mean|x| = 1, delta 0.75, alpha = mean(2, 1.5) = 1.75. Row 1 is all zero -> 0.
  at::Tensor x = vec({2.f, -1.5f, 0.5f, 0.f, 0.f, 0.f, 0.f, 0.f}).reshape({2, 4});
  EXPECT_EQ(values(ternary_quantize(x, true, std::nullopt)),
            (std::vector<float>{1.75f, -1.75f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f}));
}

TEST(Apply, DispatchesByFamily) {
  at::Tensor x = vec({0.3f, -2.2f, 9.f});
  OperandQuant q;
  q.family = QuantFamily::kInteger;
  q.width = 4;
  q.frac_width = 1;
  EXPECT_TRUE(at::equal(apply(q, x), integer_quantize(x, 4, 1)));
  q.is_signed = false;
  EXPECT_TRUE(at::equal(apply(q, x), integer_quantize(x, 4, 1, false)));
  q.family = QuantFamily::kLog;
  q.exponent_bias = 2;
  EXPECT_TRUE(at::equal(apply(q, x), log_quantize(x, 4, 2)));
}

TEST(Apply, EmptyAndScalarTensors) {
  OperandQuant q;
  q.family = QuantFamily::kBlockFp;
  q.width = 5;
  q.exponent_width = 4;
  q.block_size = {16};
  EXPECT_EQ(apply(q, at::zeros({0, 4})).numel(), 0);
  EXPECT_EQ(apply(q, at::scalar_tensor(0.3)).dim(), 0);
}

}  // namespace
TEST(IntegerQuantizer, NarrowRangeDropsTheExtremeCode) {
  // 4 bits, frac 0: signed [-8, 7]; narrow [-7, 7]; unsigned narrow [0, 14].
  at::Tensor x = at::tensor({-20.f, -7.6f, 3.f, 20.f});
  auto y = integer_quantize(x, 4, 0, true, true);
  EXPECT_TRUE(at::equal(y, at::tensor({-7.f, -7.f, 3.f, 7.f})));
  y = integer_quantize(x, 4, 0, false, true);
  EXPECT_TRUE(at::equal(y, at::tensor({0.f, 0.f, 3.f, 14.f})));
  EXPECT_EQ(integer_range(8, true, false), std::make_pair(-128.0, 127.0));
  EXPECT_EQ(integer_range(8, true, true), std::make_pair(-127.0, 127.0));
  EXPECT_EQ(integer_range(8, false, true), std::make_pair(0.0, 254.0));
}

}  // namespace chop::quant
