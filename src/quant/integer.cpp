// Integer quantizer: the op sequence mirrors MASE's (mul, round, clamp, div) so results match
// MASE bit for bit; CPU float32 tensors take one fused pass with the same float arithmetic.
#include "quant/integer.h"

#include <cmath>

#include "core/error.h"
#include "quant/ste.h"

namespace chop::quant {
namespace {

// clamp(round(x * scale), lo, hi) / scale in float32, element by element, as the four ATen ops
// compute it: scale is a power of two (x * scale and / scale are exact), round is half-to-even
// (adding and subtracting 2^23 rounds in the FPU's default mode; |v| >= 2^23 is integral
// already), and NaN passes both comparisons unchanged. One pass, no temporaries.
at::Tensor integer_quantize_cpu_f32(const at::Tensor& x, float scale, float lo, float hi) {
  const at::Tensor src = x.contiguous();
  at::Tensor out = at::empty_like(src);
  const float* in = src.data_ptr<float>();
  float* y = out.data_ptr<float>();
  const int64_t n = src.numel();
  constexpr float kTwo23 = 8388608.0f;
  for (int64_t i = 0; i < n; ++i) {
    float v = in[i] * scale;
    const float a = std::fabs(v);
    if (a < kTwo23) v = std::copysign((a + kTwo23) - kTwo23, v);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    y[i] = v / scale;
  }
  return out;
}

}  // namespace

int effective_frac_width(int width, std::optional<int> frac_width) {
  // Python's width // 2 floors; widths are validated positive, so integer division agrees.
  return frac_width ? *frac_width : width / 2;
}

at::Tensor integer_quantize(const at::Tensor& x, int width, std::optional<int> frac_width,
                            bool is_signed) {
  CHOP_ASSERT(width > 0, "integer_quantize: width must be positive");
  const int f = effective_frac_width(width, frac_width);
  const double int_min = is_signed ? -std::ldexp(1.0, width - 1) : 0.0;
  const double int_max =
      is_signed ? std::ldexp(1.0, width - 1) - 1.0 : std::ldexp(1.0, width) - 1.0;
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

}  // namespace chop::quant
