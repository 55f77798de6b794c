// Integer quantizer: the op sequence mirrors MASE's (mul, round, clamp, div) so results match
// MASE bit for bit.
#include "quant/integer.h"

#include <cmath>

#include "core/error.h"
#include "quant/ste.h"

namespace chop::quant {

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
    return at::clamp(at::round(v.mul(scale)), int_min, int_max).div(scale);
  });
}

}  // namespace chop::quant
