// Operand quantizers; see operand_quant.h. A family's native codes (its row's native_codes:
// integer) run in the vector kernel, computing what its quantize function computes for float32
// CPU tensors, element for element; the other families run hosted.
#include "engine/operand_quant.h"

#include <ATen/ATen.h>

#include <cstring>

#include "quant/apply.h"
#include "quant/family.h"

namespace chop::engine {

std::optional<OperandQuantizer> OperandQuantizer::make(
    const std::optional<quant::OperandQuant>& spec, std::string* why_not) {
  OperandQuantizer q;
  if (!spec) return q;
  q.spec_ = *spec;
  const quant::FamilyEntry& family = quant::family_entry(spec->family);
  if (family.native_codes) {
    if (const std::optional<quant::AffineCodes> c = family.native_codes(*spec)) {
      q.mode_ = Mode::kInteger;
      q.scale_ = c->scale;
      q.inv_scale_ = c->inv_scale;
      q.lo_ = c->lo;
      q.hi_ = c->hi;
      return q;
    }
  }
  if (quant::needs_generator(*spec)) {
    if (why_not) *why_not = "stochastic " + family.name + " quantizer of " + spec->operand;
    return std::nullopt;
  }
  q.mode_ = Mode::kHosted;
  return q;
}

bool OperandQuantizer::elementwise() const {
  return mode_ != Mode::kHosted || !quant::family_entry(spec_.family).blockwise;
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
