// Log quantizer. With a scalar bias the offset 0.1 * 2^-bias is a double constant (as in MASE,
// where it is a Python float); with a tensor bias it is computed in the tensor's dtype.
#include "quant/log.h"

#include <cmath>

#include "core/error.h"
#include "quant/minifloat.h"
#include "quant/ste.h"

namespace chop::quant {
namespace {
at::Tensor pow2(const at::Tensor& e) {
  return at::pow(at::Scalar(int64_t{2}), e);
}
}  // namespace

at::Tensor log_quantize(const at::Tensor& x, int width, std::optional<int> exponent_bias) {
  CHOP_ASSERT(width >= 2, "log_quantize: width must be at least 2");
  const int e_bits = width - 1;
  const int bias = exponent_bias ? *exponent_bias : default_exponent_bias(e_bits);
  const double e_max = std::ldexp(1.0, e_bits) - 1 - bias;
  const double e_min = -bias;
  const double offset = std::ldexp(1.0, -bias) * 0.1;
  return straight_through(x, [=](const at::Tensor& v) {
    at::Tensor sign = at::sign(v.add(offset));
    at::Tensor value = at::abs(v).add(offset);
    at::Tensor exponent = at::clamp(at::round(at::log2(value)), e_min, e_max);
    return sign.mul(pow2(exponent));
  });
}

namespace detail {

at::Tensor log_raw(const at::Tensor& x, int width, const at::Tensor& exponent_bias) {
  CHOP_ASSERT(width >= 2, "log_quantize: width must be at least 2");
  const int e_bits = width - 1;
  const at::Tensor bias = exponent_bias.to(x.scalar_type());
  const at::Tensor e_max = at::neg(bias).add(std::ldexp(1.0, e_bits) - 1);
  const at::Tensor e_min = at::neg(bias);
  const at::Tensor offset = pow2(e_min).mul(0.1);
  at::Tensor sign = at::sign(x.add(offset));
  at::Tensor value = at::abs(x).add(offset);
  at::Tensor exponent = at::clamp(at::round(at::log2(value)), e_min, e_max);
  return sign.mul(pow2(exponent));
}

}  // namespace detail
void parse_log(const OperandKeys& keys, OperandQuant& q) {
  q.width = keys.width(2);
  if (q.width > 31)
    keys.fail("key '" + keys.key("width") + "' must be at most 31 for log, got " +
              std::to_string(q.width));
  q.exponent_bias = keys.nullable_int("exponent_bias");
}

at::Tensor log_apply(const OperandQuant& q, const at::Tensor& x, std::optional<at::Generator>) {
  return log_quantize(x, q.width, q.exponent_bias);
}

nlohmann::ordered_json log_precision(const OperandQuant& q, bool resolve_defaults) {
  std::optional<int> bias = q.exponent_bias;
  if (resolve_defaults && !bias) bias = (1 << (q.width - 1 - 1)) - 1;  // exponent bits: width - 1
  return nlohmann::ordered_json::array(
      {q.width, bias ? nlohmann::ordered_json(*bias) : nlohmann::ordered_json(nullptr)});
}

}  // namespace chop::quant
