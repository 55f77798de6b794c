// Family dispatch for OperandQuant through the family table (family.h).
#include "quant/apply.h"

#include "quant/family.h"

namespace chop::quant {

at::Tensor apply(const OperandQuant& q, const at::Tensor& x, std::optional<at::Generator> gen) {
  return family_entry(q.family).quantize(q, x, std::move(gen));
}

}  // namespace chop::quant
