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

void parse_block_fp(const OperandKeys& keys, OperandQuant& q) {
  q.width = keys.width(1);
  q.exponent_width = keys.integer("exponent_width", 1, 30, "a positive integer (bits)");
  q.exponent_bias = keys.nullable_int("exponent_bias");
  q.block_size = keys.block_size("block_size");
}

at::Tensor block_fp_apply(const OperandQuant& q, const at::Tensor& x,
                          std::optional<at::Generator>) {
  return block_fp_quantize(x, q.width, q.exponent_width, q.exponent_bias, q.block_size,
                           q.skip_first_dim);
}

nlohmann::ordered_json block_fp_precision(const OperandQuant& q, bool resolve_defaults) {
  std::optional<int> bias = q.exponent_bias;
  if (resolve_defaults && !bias) bias = (1 << (q.exponent_width - 1)) - 1;
  return nlohmann::ordered_json::array(
      {q.width, q.exponent_width,
       bias ? nlohmann::ordered_json(*bias) : nlohmann::ordered_json(nullptr),
       blocks_json(q.block_size)});
}

}  // namespace chop::quant
