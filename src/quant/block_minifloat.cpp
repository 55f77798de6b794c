// Block minifloat quantizer.
#include "quant/block_minifloat.h"

#include <cmath>

#include "quant/block.h"
#include "quant/minifloat.h"
#include "quant/ste.h"

namespace chop::quant {

at::Tensor block_minifloat_quantize(const at::Tensor& x, int width, int exponent_width,
                                    int exponent_bias_width, const std::vector<int64_t>& block_size,
                                    bool skip_first_dim) {
  const double bias_max = std::ldexp(1.0, exponent_bias_width) - 1;
  return straight_through(x, [=](const at::Tensor& v) {
    at::Tensor block_max = block_abs_max(v, block_size, skip_first_dim);
    at::Tensor bias = at::clamp(at::floor(at::log2(block_max)), 0, bias_max);
    return detail::minifloat_ieee_raw(v, width, exponent_width, bias);
  });
}

}  // namespace chop::quant
