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

void parse_block_minifloat(const OperandKeys& keys, OperandQuant& q) {
  q.width = keys.width(2);
  q.exponent_width = keys.integer("exponent_width", 1, 30, "a positive integer (bits)");
  if (q.exponent_width > q.width - 1)
    keys.fail("key '" + keys.key("exponent_width") + "' must be at most " + keys.key("width") +
              " - 1: one bit is the sign");
  q.exponent_bias_width =
      keys.integer("exponent_bias_width", 0, 30, "a non-negative integer (bits)");
  q.block_size = keys.block_size("block_size");
}

at::Tensor block_minifloat_apply(const OperandQuant& q, const at::Tensor& x,
                                 std::optional<at::Generator>) {
  return block_minifloat_quantize(x, q.width, q.exponent_width, q.exponent_bias_width,
                                  q.block_size, q.skip_first_dim);
}

nlohmann::ordered_json block_minifloat_precision(const OperandQuant& q, bool) {
  return nlohmann::ordered_json::array(
      {q.width, q.exponent_width, q.exponent_bias_width, blocks_json(q.block_size)});
}

}  // namespace chop::quant
