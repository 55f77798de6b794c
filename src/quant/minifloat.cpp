// Minifloat quantizers; the op order follows MASE's so float32 results match it exactly.
#include "quant/minifloat.h"

#include <cmath>

#include "core/error.h"
#include "quant/ste.h"

namespace chop::quant {
namespace {

at::Tensor pow2(const at::Tensor& e) {
  return at::pow(at::Scalar(int64_t{2}), e);
}

// torch.isclose(v, 0): |v| <= 1e-8 in v's dtype.
at::Tensor close_to_zero(const at::Tensor& v) {
  return at::isclose(v, at::zeros({}, v.options()), 1e-5, 1e-8);
}

// Keep x where it is ~0 (so zero-initialised tensors keep a gradient path in MASE), q elsewhere.
at::Tensor keep_zeros(const at::Tensor& close0, const at::Tensor& q, const at::Tensor& x) {
  return at::logical_not(close0).mul(q).add(close0.mul(x));
}

}  // namespace

int default_exponent_bias(int exponent_width) {
  return static_cast<int>(std::ldexp(1.0, exponent_width - 1)) - 1;
}

at::Tensor minifloat_denorm_quantize(const at::Tensor& x, int width, int exponent_width,
                                     std::optional<int> exponent_bias) {
  const int m = width - exponent_width - 1;
  CHOP_ASSERT(m >= 0 && exponent_width > 0, "minifloat_denorm: need width > exponent_width > 0");
  const int bias = exponent_bias ? *exponent_bias : default_exponent_bias(exponent_width);
  const double e_max = std::ldexp(1.0, exponent_width) - 1 - bias;
  const double e_min = -bias;
  const double shift = std::ldexp(1.0, m);
  return straight_through(x, [=](const at::Tensor& v) {
    at::Tensor sign = at::sign(v.add(1e-9));
    at::Tensor value = at::abs(v);
    at::Tensor exponent = at::clamp(at::ceil(at::log2(value.add(1e-9))), e_min, e_max);
    at::Tensor mantissa = value.div(pow2(exponent));
    at::Tensor shifted = at::clamp(at::round(mantissa.mul(shift)), 0, shift - 1);
    mantissa = shifted.div(shift);
    at::Tensor q = sign.mul(pow2(exponent)).mul(mantissa);
    return keep_zeros(close_to_zero(value), q, v);
  });
}

namespace detail {

at::Tensor minifloat_ieee_raw(const at::Tensor& x, int width, int exponent_width,
                              const at::Tensor& exponent_bias) {
  const int m = width - exponent_width - 1;
  CHOP_ASSERT(m >= 0 && exponent_width > 0, "minifloat_ieee: need width > exponent_width > 0");
  const at::Tensor bias = exponent_bias.to(x.scalar_type());
  const at::Tensor e_max = at::neg(bias).add(std::ldexp(1.0, exponent_width) - 1);
  const at::Tensor e_min = at::neg(bias);
  const double shift = std::ldexp(1.0, m);

  at::Tensor sign = at::sign(x.add(1e-9));
  at::Tensor value = at::abs(x);
  at::Tensor exponent = at::clamp(at::floor(at::log2(value.add(1e-9))), e_min, e_max);
  at::Tensor mantissa = value.div(pow2(exponent));
  // The lowest (clamped) exponent holds subnormals: no implicit one, twice the step.
  at::Tensor is_normal = at::logical_not(at::isclose(exponent, e_min));
  at::Tensor is_sub = at::logical_not(is_normal);
  at::Tensor shifted =
      is_normal.mul(at::clamp(at::round(mantissa.mul(shift).sub(shift)), 0, shift - 1))
          .add(is_sub.mul(at::clamp(at::round(mantissa.mul(shift).div(2)), 0, shift - 1)));
  mantissa = is_normal.mul(shifted.div(shift).add(1.0)).add(is_sub.mul(shifted.div(shift).mul(2)));
  at::Tensor q = sign.mul(pow2(exponent)).mul(mantissa);
  at::Tensor close0 = close_to_zero(value);
  return keep_zeros(close0, q, x);
}

}  // namespace detail

at::Tensor minifloat_ieee_quantize(const at::Tensor& x, int width, int exponent_width,
                                   std::optional<int> exponent_bias) {
  const int bias = exponent_bias ? *exponent_bias : default_exponent_bias(exponent_width);
  return straight_through(x, [=](const at::Tensor& v) {
    return detail::minifloat_ieee_raw(v, width, exponent_width,
                                      at::full({}, static_cast<double>(bias), v.options()));
  });
}

void parse_minifloat(const OperandKeys& keys, OperandQuant& q) {
  q.width = keys.width(2);
  q.exponent_width = keys.integer("exponent_width", 1, 30, "a positive integer (bits)");
  if (q.exponent_width > q.width - 1)
    keys.fail("key '" + keys.key("exponent_width") + "' (" + std::to_string(q.exponent_width) +
              ") must be at most " + keys.key("width") + " - 1 (" + std::to_string(q.width - 1) +
              "): one bit is the sign");
  q.exponent_bias = keys.nullable_int("exponent_bias");
}

at::Tensor minifloat_denorm_apply(const OperandQuant& q, const at::Tensor& x,
                                  std::optional<at::Generator>) {
  return minifloat_denorm_quantize(x, q.width, q.exponent_width, q.exponent_bias);
}

at::Tensor minifloat_ieee_apply(const OperandQuant& q, const at::Tensor& x,
                                std::optional<at::Generator>) {
  return minifloat_ieee_quantize(x, q.width, q.exponent_width, q.exponent_bias);
}

nlohmann::ordered_json minifloat_precision(const OperandQuant& q, bool resolve_defaults) {
  std::optional<int> bias = q.exponent_bias;
  if (resolve_defaults && !bias) bias = (1 << (q.exponent_width - 1)) - 1;
  return nlohmann::ordered_json::array(
      {q.width, q.exponent_width,
       bias ? nlohmann::ordered_json(*bias) : nlohmann::ordered_json(nullptr)});
}

}  // namespace chop::quant
