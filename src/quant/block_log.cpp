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

void parse_block_log(const OperandKeys& keys, OperandQuant& q) {
  q.width = keys.width(2);
  if (q.width > 31) keys.fail("key '" + keys.key("width") + "' must be at most 31 for block_log");
  q.exponent_bias_width =
      keys.integer("exponent_bias_width", 0, 30, "a non-negative integer (bits)");
  q.block_size = keys.block_size("block_size");
}

at::Tensor block_log_apply(const OperandQuant& q, const at::Tensor& x,
                           std::optional<at::Generator>) {
  return block_log_quantize(x, q.width, q.exponent_bias_width, q.block_size, q.skip_first_dim);
}

nlohmann::ordered_json block_log_precision(const OperandQuant& q, bool) {
  return nlohmann::ordered_json::array(
      {q.width, q.exponent_bias_width, blocks_json(q.block_size)});
}

}  // namespace chop::quant
