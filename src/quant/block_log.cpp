// Block log quantizer.
#include "quant/block_log.h"

#include <cmath>

#include "quant/block.h"
#include "quant/log.h"
#include "quant/ste.h"

namespace chop::quant {

at::Tensor block_log_quantize(const at::Tensor& x, int width, int exponent_bias_width,
                              const std::vector<int64_t>& block_size, bool skip_first_dim) {
  const double bias_max = std::ldexp(1.0, exponent_bias_width) - 1;
  const double top = std::ldexp(1.0, width - 1) - 1;
  return straight_through(x, [=](const at::Tensor& v) {
    at::Tensor block_max = block_abs_max(v, block_size, skip_first_dim);
    at::Tensor bias = at::clamp(at::neg(at::ceil(at::log2(block_max))).add(top), 0, bias_max);
    return detail::log_raw(v, width, bias);
  });
}

}  // namespace chop::quant
