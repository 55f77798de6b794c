// Operand quantizers; see operand_quant.h. The native integer path computes what
// quant::integer_quantize computes for float32 CPU tensors, element for element.
#include "engine/operand_quant.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstring>

#include "quant/apply.h"
#include "quant/integer.h"

namespace chop::engine {

std::optional<OperandQuantizer> OperandQuantizer::make(
    const std::optional<quant::OperandQuant>& spec, std::string* why_not) {
  OperandQuantizer q;
  if (!spec) return q;
  q.spec_ = *spec;
  if (spec->family == quant::QuantFamily::kInteger) {
    const int f = quant::effective_frac_width(spec->width, spec->frac_width);
    // The same range quant/integer.cpp keeps exact in float32; wider ones use ATen there.
    if (spec->width <= 24 && f >= -100 && f <= 100) {
      q.mode_ = Mode::kInteger;
      q.scale_ = static_cast<float>(std::ldexp(1.0, f));
      q.inv_scale_ = 1.0f / q.scale_;
      q.lo_ = static_cast<float>(spec->is_signed ? -std::ldexp(1.0, spec->width - 1) : 0.0);
      q.hi_ = static_cast<float>(spec->is_signed ? std::ldexp(1.0, spec->width - 1) - 1.0
                                                 : std::ldexp(1.0, spec->width) - 1.0);
      return q;
    }
  }
  if (spec->family == quant::QuantFamily::kBinary && spec->stochastic) {
    if (why_not) *why_not = "stochastic binary quantizer of " + spec->operand;
    return std::nullopt;
  }
  q.mode_ = Mode::kHosted;
  return q;
}

bool OperandQuantizer::elementwise() const {
  if (mode_ != Mode::kHosted) return true;
  switch (spec_.family) {
    case quant::QuantFamily::kBlockFp:
    case quant::QuantFamily::kBlockMinifloat:
    case quant::QuantFamily::kBlockLog:
      return false;
    default:
      return true;
  }
}

void OperandQuantizer::apply(const KernelTable& kt, const float* x, float* y,
                             const std::vector<int64_t>& shape) const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  switch (mode_) {
    case Mode::kNone:
      if (x != y) std::memcpy(y, x, sizeof(float) * static_cast<size_t>(n));
      return;
    case Mode::kInteger:
      kt.quantize_int(x, y, n, scale_, inv_scale_, lo_, hi_);
      return;
    case Mode::kHosted: {
      at::NoGradGuard no_grad;
      const at::Tensor in = at::from_blob(const_cast<float*>(x), shape, at::kFloat);
      const at::Tensor out = quant::apply(spec_, in).contiguous();
      std::memcpy(y, out.data_ptr<float>(), sizeof(float) * static_cast<size_t>(n));
      return;
    }
  }
}

}  // namespace chop::engine
