// Family dispatch for OperandQuant.
#include "quant/apply.h"

#include "quant/binary.h"
#include "quant/block_fp.h"
#include "quant/block_log.h"
#include "quant/block_minifloat.h"
#include "quant/integer.h"
#include "quant/log.h"
#include "quant/minifloat.h"
#include "quant/ternary.h"

namespace chop::quant {

at::Tensor apply(const OperandQuant& q, const at::Tensor& x, std::optional<at::Generator> gen) {
  switch (q.family) {
    case QuantFamily::kInteger:
      return integer_quantize(x, q.width, q.frac_width, q.is_signed, q.narrow);
    case QuantFamily::kMinifloatDenorm:
      return minifloat_denorm_quantize(x, q.width, q.exponent_width, q.exponent_bias);
    case QuantFamily::kMinifloatIeee:
      return minifloat_ieee_quantize(x, q.width, q.exponent_width, q.exponent_bias);
    case QuantFamily::kLog:
      return log_quantize(x, q.width, q.exponent_bias);
    case QuantFamily::kBlockFp:
      return block_fp_quantize(x, q.width, q.exponent_width, q.exponent_bias, q.block_size,
                               q.skip_first_dim);
    case QuantFamily::kBlockMinifloat:
      return block_minifloat_quantize(x, q.width, q.exponent_width, q.exponent_bias_width,
                                      q.block_size, q.skip_first_dim);
    case QuantFamily::kBlockLog:
      return block_log_quantize(x, q.width, q.exponent_bias_width, q.block_size, q.skip_first_dim);
    case QuantFamily::kBinary:
      return binary_quantize(x, q.stochastic, q.bipolar, std::move(gen));
    case QuantFamily::kTernary:
      return ternary_quantize(x, q.scaling_factor, ternary_threshold(q.mean, q.median, q.max));
  }
  return x;
}

}  // namespace chop::quant
