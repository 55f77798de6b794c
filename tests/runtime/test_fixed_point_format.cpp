// Fixed-point primitives: grid conversions in every rounding/overflow mode against hand values
// and MASE's integer quantizer, hls4ml's minimal f and to_kif, HGQ's effective bits.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "core/error.h"
#include "quant/integer.h"
#include "runtime/fixed_point_format.h"

namespace chop::runtime {
namespace {

std::vector<int64_t> values(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

at::Tensor longs(std::vector<int64_t> v) {
  return at::tensor(v, at::TensorOptions().dtype(at::kLong));
}

TEST(FixedSpec, RangesOfSignedAndUnsigned) {
  FixedSpec s{8, 4, true};
  EXPECT_EQ(s.min_int(), -128);
  EXPECT_EQ(s.max_int(), 127);
  EXPECT_DOUBLE_EQ(s.min_value(), -8.0);
  EXPECT_DOUBLE_EQ(s.max_value(), 7.9375);
  FixedSpec u{4, 2, false};
  EXPECT_EQ(u.min_int(), 0);
  EXPECT_EQ(u.max_int(), 15);
  EXPECT_DOUBLE_EQ(u.max_value(), 3.75);
}

TEST(FloatToFixed, EqualsMaseIntegerQuantizerTimesScale) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  at::Tensor x = at::randn({4096}, gen) * 5;
  // Half-way values in both directions and beyond the clamps.
  x = at::cat({x, at::tensor({0.03125f, -0.03125f, 0.09375f, -0.09375f, 100.f, -100.f, 0.f})});
  for (int width : {2, 4, 8, 12}) {
    for (int frac : {-1, 0, 2, 4, 9}) {
      for (bool is_signed : {true, false}) {
        FixedSpec s{width, frac, is_signed};
        at::Tensor m = float_to_fixed(x, s, Rounding::kHalfEven, Overflow::kSaturate);
        at::Tensor q = quant::integer_quantize(x, width, frac, is_signed);
        EXPECT_TRUE(at::equal(fixed_to_double(m, frac).to(at::kFloat), q))
            << width << "/" << frac << (is_signed ? "" : " unsigned");
      }
    }
  }
}

TEST(FloatToFixed, RoundingAndOverflowModes) {
  at::Tensor x = at::tensor({0.25f, 0.75f, -0.25f, -0.75f, 1.5f, 9.0f, -9.0f});
  FixedSpec s{4, 1, true};  // step 0.5, range [-4, 3.5]
  EXPECT_EQ(values(float_to_fixed(x, s, Rounding::kHalfEven, Overflow::kSaturate)),
            (std::vector<int64_t>{0, 2, 0, -2, 3, 7, -8}));
  EXPECT_EQ(values(float_to_fixed(x, s, Rounding::kHalfUp, Overflow::kSaturate)),
            (std::vector<int64_t>{1, 2, 0, -1, 3, 7, -8}));
  EXPECT_EQ(values(float_to_fixed(x, s, Rounding::kTruncate, Overflow::kSaturate)),
            (std::vector<int64_t>{0, 1, -1, -2, 3, 7, -8}));
  // Wrap keeps the low 4 bits: 18 -> 2, -18 -> -2.
  EXPECT_EQ(values(float_to_fixed(x, s, Rounding::kHalfEven, Overflow::kWrap)),
            (std::vector<int64_t>{0, 2, 0, -2, 3, 2, -2}));
  int64_t nan = 0;
  float_to_fixed(at::tensor({NAN, 1.0f}), s, Rounding::kHalfEven, Overflow::kSaturate, &nan);
  EXPECT_EQ(nan, 1);
}

TEST(Requantize, DropsBitsWithEachRoundingMode) {
  // Mantissas at grid 2^-3 requantized to grid 2^-1 (two bits dropped): 0.375 -> ?, etc.
  at::Tensor m = longs({3, 2, 6, -2, -6, -3, 5, 100, -100});
  FixedSpec s{6, 1, true};
  EXPECT_EQ(values(requantize(m, 3, s, Rounding::kHalfEven, Overflow::kSaturate, "t")),
            (std::vector<int64_t>{1, 0, 2, 0, -2, -1, 1, 25, -25}));
  EXPECT_EQ(values(requantize(m, 3, s, Rounding::kHalfUp, Overflow::kSaturate, "t")),
            (std::vector<int64_t>{1, 1, 2, 0, -1, -1, 1, 25, -25}));
  EXPECT_EQ(values(requantize(m, 3, s, Rounding::kTruncate, Overflow::kSaturate, "t")),
            (std::vector<int64_t>{0, 0, 1, -1, -2, -1, 1, 25, -25}));
  FixedSpec narrow{4, 1, true};  // [-8, 7]
  EXPECT_EQ(values(requantize(m, 3, narrow, Rounding::kHalfEven, Overflow::kSaturate, "t")),
            (std::vector<int64_t>{1, 0, 2, 0, -2, -1, 1, 7, -8}));
  EXPECT_EQ(values(requantize(m, 3, narrow, Rounding::kHalfEven, Overflow::kWrap, "t")),
            (std::vector<int64_t>{1, 0, 2, 0, -2, -1, 1, -7, 7}));
  // A finer grid is an exact shift.
  EXPECT_EQ(values(requantize(longs({3, -3}), 1, FixedSpec{8, 3, true}, Rounding::kTruncate,
                              Overflow::kSaturate, "t")),
            (std::vector<int64_t>{12, -12}));
  FixedSpec u{3, 0, false};
  EXPECT_EQ(
      values(requantize(longs({-5, 9, 17}), 0, u, Rounding::kHalfEven, Overflow::kSaturate, "t")),
      (std::vector<int64_t>{0, 7, 7}));
}

TEST(Requantize, AgreesWithFloatRoundingOnRandomValues) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  at::Tensor m = at::randint(-5000, 5000, {20000}, gen, at::TensorOptions().dtype(at::kLong));
  for (Rounding r : {Rounding::kHalfEven, Rounding::kHalfUp, Rounding::kTruncate}) {
    FixedSpec s{10, 2, true};
    at::Tensor via_int = requantize(m, 6, s, r, Overflow::kSaturate, "t");
    at::Tensor via_float = float_to_fixed(fixed_to_double(m, 6), s, r, Overflow::kSaturate);
    EXPECT_TRUE(at::equal(via_int, via_float)) << rounding_name(r);
  }
}

TEST(Requantize, RefusesMantissasBeyond62Bits) {
  EXPECT_THROW(requantize(longs({int64_t{1} << 40}), 0, FixedSpec{60, 30, true},
                          Rounding::kHalfEven, Overflow::kSaturate, "node x"),
               UserError);
}

TEST(Kif, Hls4mlToKif) {
  // [-8, 7.9375] at f = 4 is ap_fixed<8,4>.
  Kif a = interval_kif(-8, 7.9375, 4);
  EXPECT_EQ(a.k, 1);
  EXPECT_EQ(a.i, 3);
  EXPECT_EQ(a.width(), 8);
  EXPECT_EQ(a.ap_type(), "ap_fixed<8,4>");
  Kif b = interval_kif(0, 3.75, 2);  // ufixed<4,2>
  EXPECT_EQ(b.k, 0);
  EXPECT_EQ(b.i, 2);
  EXPECT_EQ(b.width(), 4);
  EXPECT_EQ(b.ap_type(), "ap_ufixed<4,2>");
  Kif c = interval_kif(0, 4, 2);  // 4 needs one more integer bit
  EXPECT_EQ(c.i, 3);
  Kif z = interval_kif(0, 0, 5);
  EXPECT_EQ(z.width(), 0);
  Kif n = interval_kif(-0.5, -0.25, 2);  // i may be negative
  EXPECT_EQ(n.k, 1);
  EXPECT_EQ(n.i, -1);
}

TEST(Kif, MinimalFracAndEffectiveBits) {
  EXPECT_EQ(minimal_frac(0.75), 2);
  EXPECT_EQ(minimal_frac(-0.375), 3);
  EXPECT_EQ(minimal_frac(6), -1);
  EXPECT_EQ(minimal_frac(1), 0);
  EXPECT_EQ(minimal_frac(0), -31);  // hls4ml's search bottom
  EXPECT_EQ(minimal_frac(std::ldexp(1, 40)), -31);
  EXPECT_EQ(minimal_frac(std::ldexp(1, -40)), 32);
  EXPECT_EQ(effective_bits(0.75), 2);  // 0.11b
  EXPECT_EQ(effective_bits(-0.75), 2);
  EXPECT_EQ(effective_bits(5), 3);  // 101b
  EXPECT_EQ(effective_bits(6), 2);  // 110b: the trailing zero is free
  EXPECT_EQ(effective_bits(0.5), 1);
  EXPECT_EQ(effective_bits(0), 0);
  EXPECT_EQ(effective_bits(127.0 / 16), 7);
}

TEST(Modes, ParseNames) {
  EXPECT_EQ(parse_rounding("half_up"), Rounding::kHalfUp);
  EXPECT_EQ(parse_overflow("wrap"), Overflow::kWrap);
  EXPECT_FALSE(parse_rounding("nearest"));
  EXPECT_FALSE(parse_overflow("clip"));
}

}  // namespace
}  // namespace chop::runtime
