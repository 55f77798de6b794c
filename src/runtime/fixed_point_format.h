// Fixed-point number formats for bit-exact integer execution: the integer quantizer of a node
// operand as a (width, frac, signed) spec, rounding/overflow modes, conversion of float and
// fixed-point values onto a grid, and hls4ml's minimal (k, i, f) of a value interval.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quant/config.h"

namespace chop::runtime {

/// How a value is put onto a coarser grid. kHalfEven is torch.round (MASE's integer quantizer);
/// kHalfUp is ap_fixed's AP_RND (ties toward +inf); kTruncate is AP_TRN (floor).
enum class Rounding { kHalfEven, kHalfUp, kTruncate };
/// kSaturate clamps to the format (MASE's quantizer, AP_SAT); kWrap keeps the low bits (AP_WRAP).
enum class Overflow { kSaturate, kWrap };

/// "half_even" | "half_up" | "truncate"; "saturate" | "wrap". nullopt when unknown.
std::optional<Rounding> parse_rounding(const std::string& name);
std::optional<Overflow> parse_overflow(const std::string& name);
std::string rounding_name(Rounding r);
std::string overflow_name(Overflow o);

/// An integer (fixed-point) quantizer: values m * 2^-frac with m in [min_int, max_int].
struct FixedSpec {
  int width = 0;
  int frac = 0;  // may be negative or exceed width (MASE allows both)
  bool is_signed = true;
  int64_t min_int() const;
  int64_t max_int() const;
  double min_value() const;
  double max_value() const;
};

/// The spec of an operand quantizer when it is of the integer family, else nullopt.
std::optional<FixedSpec> fixed_spec(const std::optional<quant::OperandQuant>& q);

/// hls4ml's keep-negative / integer / fractional bits; width = k + i + f.
struct Kif {
  int k = 0;
  int i = 0;
  int f = 0;
  int width() const { return k + i + f; }
  /// "ap_fixed<W,I>" / "ap_ufixed<W,I>" (I = k + i).
  std::string ap_type() const;
};

/// hls4ml's QIntervalArray.to_kif for one interval [lo, hi] on the grid 2^-f: k = lo < 0,
/// i = ceil(log2(max(hi + 2^-f, -lo))), and (0, 0, 0) for [0, 0].
Kif interval_kif(double lo, double hi, int f);

/// hls4ml's _minimal_f: the smallest f in (-32, 32] with v * 2^f an integer (-31 for 0).
int minimal_frac(double v);

/// HGQ's effective bit width of a fixed-point constant (get_arr_bits): the span from the highest
/// to the lowest set bit of |v| (sign not counted); 0 for 0. Exact for v = m * 2^-f, |m| < 2^62.
int effective_bits(double v);

/// Float to mantissas on spec's grid: round(x * 2^frac) in `rounding`, then saturate or wrap.
/// Exactly MASE's integer quantizer (times 2^frac) for half_even + saturate. NaN becomes 0 and
/// is counted in *n_nan.
at::Tensor float_to_fixed(const at::Tensor& x, const FixedSpec& spec, Rounding rounding,
                          Overflow overflow, int64_t* n_nan = nullptr);

/// Mantissas m at grid `frac_in` requantized to `spec`: exact shifts, rounding when bits are
/// dropped, then saturate or wrap. Throws UserError (naming `where`) if a left shift would leave
/// 62 bits.
at::Tensor requantize(const at::Tensor& m, int frac_in, const FixedSpec& spec, Rounding rounding,
                      Overflow overflow, const std::string& where);

/// m at grid `frac_in` shifted to the finer grid `frac_out` >= frac_in (exact).
at::Tensor align_grid(const at::Tensor& m, int frac_in, int frac_out, const std::string& where);

/// Exact value m * 2^-frac as float64 (|m| < 2^53 is exact).
at::Tensor fixed_to_double(const at::Tensor& m, int frac);

}  // namespace chop::runtime
