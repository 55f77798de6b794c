// Block floating point quantizer (elementwise once each element knows its block max).
#include "quant/block_fp.h"

#include <cmath>

#include "core/error.h"
#include "quant/block.h"
#include "quant/minifloat.h"
#include "quant/ste.h"

namespace chop::quant {

at::Tensor block_fp_quantize(const at::Tensor& x, int width, int exponent_width,
                             std::optional<int> exponent_bias,
                             const std::vector<int64_t>& block_size, bool skip_first_dim) {
  CHOP_ASSERT(width >= 1 && exponent_width >= 1, "block_fp: width and exponent_width must be >= 1");
  const int bias = exponent_bias ? *exponent_bias : default_exponent_bias(exponent_width);
  const double e_max = std::ldexp(1.0, exponent_width) - 1 - bias;
  const double e_min = -bias;
  const double shift = std::ldexp(1.0, width - 1);
  return straight_through(x, [=](const at::Tensor& v) {
    at::Tensor block_max = block_abs_max(v, block_size, skip_first_dim);
    at::Tensor sign = at::sign(v.add(1e-9));
    at::Tensor value = at::abs(v).add(1e-9);
    at::Tensor exponent = at::clamp(at::ceil(at::log2(block_max)), e_min, e_max);
    at::Tensor pow_e = at::pow(at::Scalar(int64_t{2}), exponent);
    at::Tensor mantissa =
        at::clamp(at::round(value.div(pow_e).mul(shift)), 0, shift - 1).div(shift);
    at::Tensor q = sign.mul(pow_e).mul(mantissa);
    at::Tensor close0 = at::isclose(v, at::zeros({}, v.options()), 1e-5, 1e-8);
    return at::logical_not(close0).mul(q).add(close0.mul(v));
  });
}

}  // namespace chop::quant
