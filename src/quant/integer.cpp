// Integer quantizer: the op sequence mirrors MASE's (mul, round, clamp, div) so results match
// MASE bit for bit; CPU float32 tensors take one fused pass with the same float arithmetic.
#include "quant/integer.h"

#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/error.h"
#include "quant/ste.h"

namespace chop::quant {
namespace {

// clamp(round(x * scale), lo, hi) / scale in float32, element by element, as the four ATen ops
// compute it: scale is a power of two (x * scale and the division, done as a multiplication by
// 1 / scale, are exact), round is half-to-even (adding and subtracting 2^23 rounds in the FPU's
// default mode; |v| >= 2^23 is integral already), and NaN passes the clamp unchanged (SSE's
// max/min return their second operand when it is NaN). SSE2 is part of x86-64: four lanes.
float quantize_one(float x, float scale, float inv_scale, float lo, float hi) {
  constexpr float kTwo23 = 8388608.0f;
  float v = x * scale;
  const float a = std::fabs(v);
  if (a < kTwo23) v = std::copysign((a + kTwo23) - kTwo23, v);
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return v * inv_scale;
}

at::Tensor integer_quantize_cpu_f32(const at::Tensor& x, float scale, float lo, float hi) {
  const at::Tensor src = x.contiguous();
  at::Tensor out = at::empty_like(src);
  const float* __restrict in = src.data_ptr<float>();
  float* __restrict y = out.data_ptr<float>();
  const int64_t n = src.numel();
  const float inv_scale = 1.0f / scale;
  int64_t i = 0;
#if defined(__SSE2__)
  const __m128 v_scale = _mm_set1_ps(scale), v_inv = _mm_set1_ps(inv_scale);
  const __m128 v_lo = _mm_set1_ps(lo), v_hi = _mm_set1_ps(hi);
  const __m128 v_two23 = _mm_set1_ps(8388608.0f);
  const __m128 sign_bit = _mm_set1_ps(-0.0f);
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_mul_ps(_mm_loadu_ps(in + i), v_scale);
    const __m128 sign = _mm_and_ps(v, sign_bit);
    const __m128 a = _mm_andnot_ps(sign_bit, v);
    const __m128 rounded = _mm_or_ps(_mm_sub_ps(_mm_add_ps(a, v_two23), v_two23), sign);
    const __m128 small = _mm_cmplt_ps(a, v_two23);  // false for NaN: keep v
    __m128 r = _mm_or_ps(_mm_and_ps(small, rounded), _mm_andnot_ps(small, v));
    r = _mm_min_ps(v_hi, _mm_max_ps(v_lo, r));
    _mm_storeu_ps(y + i, _mm_mul_ps(r, v_inv));
  }
#endif
  for (; i < n; ++i) y[i] = quantize_one(in[i], scale, inv_scale, lo, hi);
  return out;
}

}  // namespace

int effective_frac_width(int width, std::optional<int> frac_width) {
  // Python's width // 2 floors; widths are validated positive, so integer division agrees.
  return frac_width ? *frac_width : width / 2;
}

std::pair<double, double> integer_range(int width, bool is_signed, bool narrow) {
  const double lo = is_signed ? -std::ldexp(1.0, width - 1) + (narrow ? 1.0 : 0.0) : 0.0;
  const double hi =
      is_signed ? std::ldexp(1.0, width - 1) - 1.0 : std::ldexp(1.0, width) - (narrow ? 2.0 : 1.0);
  return {lo, hi};
}

at::Tensor integer_quantize(const at::Tensor& x, int width, std::optional<int> frac_width,
                            bool is_signed, bool narrow) {
  CHOP_ASSERT(width > 0, "integer_quantize: width must be positive");
  const int f = effective_frac_width(width, frac_width);
  const std::pair<double, double> range = integer_range(width, is_signed, narrow);
  const double int_min = range.first, int_max = range.second;
  const double scale = std::ldexp(1.0, f);
  return straight_through(x, [=](const at::Tensor& v) {
    // Widths up to 24 bits keep scale and the bounds exact in float32 (wider: the ATen ops).
    if (v.device().is_cpu() && v.scalar_type() == at::kFloat && width <= 24 && f >= -100 &&
        f <= 100)
      return integer_quantize_cpu_f32(v, static_cast<float>(scale), static_cast<float>(int_min),
                                      static_cast<float>(int_max));
    return at::clamp(at::round(v.mul(scale)), int_min, int_max).div(scale);
  });
}

void parse_integer(const OperandKeys& keys, OperandQuant& q) {
  q.width = keys.width(1);
  q.frac_width = keys.nullable_int("frac_width");
  q.is_signed = !(keys.mase_op() == "relu" && keys.op() == "data_in");
  if (keys.has("signed")) q.is_signed = keys.boolean("signed");
  if (keys.has("narrow")) q.narrow = keys.boolean("narrow");
}

at::Tensor integer_apply(const OperandQuant& q, const at::Tensor& x,
                         std::optional<at::Generator>) {
  return integer_quantize(x, q.width, q.frac_width, q.is_signed, q.narrow);
}

nlohmann::ordered_json integer_precision(const OperandQuant& q, bool resolve_defaults) {
  std::optional<int> frac = q.frac_width;
  if (resolve_defaults && !frac) frac = q.width / 2;
  return nlohmann::ordered_json::array(
      {q.width, frac ? nlohmann::ordered_json(*frac) : nlohmann::ordered_json(nullptr)});
}

std::optional<AffineCodes> integer_codes(const OperandQuant& q) {
  const int f = effective_frac_width(q.width, q.frac_width);
  // The range integer_quantize keeps exact in float32; wider ones use ATen there.
  if (q.width > 24 || f < -100 || f > 100) return std::nullopt;
  AffineCodes c;
  c.scale = static_cast<float>(std::ldexp(1.0, f));
  c.inv_scale = 1.0f / c.scale;
  c.lo = static_cast<float>(q.is_signed ? -std::ldexp(1.0, q.width - 1) : 0.0);
  c.hi = static_cast<float>(q.is_signed ? std::ldexp(1.0, q.width - 1) - 1.0
                                        : std::ldexp(1.0, q.width) - 1.0);
  return c;
}

}  // namespace chop::quant
