// One operand's fake quantizer inside the engine (data_in, weight, bias or data_out of a node).
// The integer family (MASE's "integer"/"fixed", the QAT searches' family) runs natively in the
// vector kernels; the other deterministic families call chop_quant's own function on a view of
// the engine's buffer (same numbers, one allocation per call). The backward pass is the
// straight-through identity for every family, as in MASE, so no quantizer has a backward here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "quant/config.h"

namespace chop::engine {

using kernels::KernelTable;

class OperandQuantizer {
 public:
  OperandQuantizer() = default;  // inactive: float operand
  /// Null when the engine cannot run this quantizer (why_not says which); an absent spec gives
  /// an inactive quantizer.
  static std::optional<OperandQuantizer> make(const std::optional<quant::OperandQuant>& spec,
                                              std::string* why_not);

  bool active() const { return mode_ != Mode::kNone; }
  bool native() const { return mode_ == Mode::kInteger; }
  /// The integer quantizer's constants (native() only), for kernels that apply it on the way.
  kernels::IntQuant int_quant() const { return {scale_, inv_scale_, lo_, hi_}; }
  /// True when each output element depends only on the same input element (not the block
  /// families, whose blocks span several values).
  bool elementwise() const;
  /// y = Q(x) for a tensor of `shape` (any rank; block families read it). x == y is allowed.
  void apply(const KernelTable& kt, const float* x, float* y,
             const std::vector<int64_t>& shape) const;

 private:
  enum class Mode { kNone, kInteger, kHosted };
  Mode mode_ = Mode::kNone;
  float scale_ = 1, inv_scale_ = 1, lo_ = 0, hi_ = 0;
  quant::OperandQuant spec_;
};

}  // namespace chop::engine
