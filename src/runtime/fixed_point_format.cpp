// Fixed-point formats and grid conversions; see fixed_point_format.h. Conversions are plain loops
// over int64 mantissas: every step is exact integer arithmetic except the documented rounding.
#include "runtime/fixed_point_format.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "quant/integer.h"

namespace chop::runtime {
namespace {

__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

constexpr int kMaxBits = 62;  // |mantissa| < 2^62 keeps sums of two mantissas inside int64

int64_t saturate_or_wrap(int128 v, const FixedSpec& s, Overflow o) {
  const int64_t lo = s.min_int(), hi = s.max_int();
  if (v >= lo && v <= hi) return static_cast<int64_t>(v);
  if (o == Overflow::kSaturate) return v < lo ? lo : hi;
  // Wrap: keep the low `width` bits, read back as signed/unsigned.
  const uint128 mask = (static_cast<uint128>(1) << s.width) - 1;
  uint128 u = static_cast<uint128>(v) & mask;
  int128 w = static_cast<int128>(u);
  if (s.is_signed && (u >> (s.width - 1)) != 0) w -= static_cast<int128>(1) << s.width;
  return static_cast<int64_t>(w);
}

int128 round_shift_right(int128 m, int s, Rounding r) {
  if (s <= 0) return m;
  if (s >= 100) {  // |m| < 2^62: the value is below one half of the new step
    if (r == Rounding::kTruncate) return m < 0 ? -1 : 0;
    return 0;
  }
  const int128 step = static_cast<int128>(1) << s;
  int128 q = m >> s;  // arithmetic: floor
  const int128 rem = m - q * step;
  const int128 half = step >> 1;
  if (r == Rounding::kHalfEven) {
    if (rem > half || (rem == half && (q & 1) != 0)) ++q;
  } else if (r == Rounding::kHalfUp) {
    if (rem >= half) ++q;
  }
  return q;
}

}  // namespace

std::optional<Rounding> parse_rounding(const std::string& name) {
  if (name == "half_even") return Rounding::kHalfEven;
  if (name == "half_up") return Rounding::kHalfUp;
  if (name == "truncate") return Rounding::kTruncate;
  return std::nullopt;
}

std::optional<Overflow> parse_overflow(const std::string& name) {
  if (name == "saturate") return Overflow::kSaturate;
  if (name == "wrap") return Overflow::kWrap;
  return std::nullopt;
}

std::string rounding_name(Rounding r) {
  switch (r) {
    case Rounding::kHalfEven:
      return "half_even";
    case Rounding::kHalfUp:
      return "half_up";
    case Rounding::kTruncate:
      return "truncate";
  }
  return "";
}

std::string overflow_name(Overflow o) {
  return o == Overflow::kSaturate ? "saturate" : "wrap";
}

int64_t FixedSpec::min_int() const {
  return is_signed ? -(int64_t{1} << (width - 1)) : 0;
}
int64_t FixedSpec::max_int() const {
  return is_signed ? (int64_t{1} << (width - 1)) - 1 : (int64_t{1} << width) - 1;
}
double FixedSpec::min_value() const {
  return std::ldexp(static_cast<double>(min_int()), -frac);
}
double FixedSpec::max_value() const {
  return std::ldexp(static_cast<double>(max_int()), -frac);
}

std::optional<FixedSpec> fixed_spec(const std::optional<quant::OperandQuant>& q) {
  if (!q || q->family != quant::QuantFamily::kInteger) return std::nullopt;
  FixedSpec s;
  s.width = q->width;
  s.frac = quant::effective_frac_width(q->width, q->frac_width);
  s.is_signed = q->is_signed;
  return s;
}

std::string Kif::ap_type() const {
  return std::string(k ? "ap_fixed<" : "ap_ufixed<") + std::to_string(width()) + "," +
         std::to_string(k + i) + ">";
}

Kif interval_kif(double lo, double hi, int f) {
  if (lo == 0 && hi == 0) return {};
  Kif r;
  r.k = lo < 0 ? 1 : 0;
  r.f = f;
  r.i = static_cast<int>(std::ceil(std::log2(std::max(hi + std::ldexp(1.0, -f), -lo))));
  return r;
}

int minimal_frac(double v) {
  if (v == 0 || !std::isfinite(v)) return -31;
  int exp = 0;
  const double mant = std::frexp(std::fabs(v), &exp);  // |v| = mant * 2^exp, mant in [0.5, 1)
  auto m = static_cast<uint64_t>(std::ldexp(mant, 53));
  int tz = __builtin_ctzll(m);
  const int f = 53 - exp - tz;
  return std::min(32, std::max(-31, f));
}

int effective_bits(double v) {
  if (v == 0 || !std::isfinite(v)) return 0;
  int exp = 0;
  const double mant = std::frexp(std::fabs(v), &exp);
  auto m = static_cast<uint64_t>(std::ldexp(mant, 53));
  m >>= __builtin_ctzll(m);
  return 64 - __builtin_clzll(m);
}

at::Tensor float_to_fixed(const at::Tensor& x, const FixedSpec& spec, Rounding rounding,
                          Overflow overflow, int64_t* n_nan) {
  const at::Tensor src = x.to(at::kDouble).contiguous().cpu();
  at::Tensor out = at::empty(src.sizes(), at::TensorOptions().dtype(at::kLong));
  const double* in = src.data_ptr<double>();
  int64_t* y = out.data_ptr<int64_t>();
  const int64_t n = src.numel();
  constexpr double kTwo52 = 4503599627370496.0;
  const double lo = static_cast<double>(spec.min_int()), hi = static_cast<double>(spec.max_int());
  int64_t nan = 0;
  for (int64_t i = 0; i < n; ++i) {
    double v = std::ldexp(in[i], spec.frac);
    if (std::isnan(v)) {
      ++nan;
      y[i] = 0;
      continue;
    }
    if (std::fabs(v) < kTwo52) {
      if (rounding == Rounding::kHalfEven)
        v = std::nearbyint(v);  // the default rounding mode: ties to even, like torch.round
      else if (rounding == Rounding::kHalfUp)
        v = std::floor(v + 0.5);
      else
        v = std::floor(v);
    }
    if (overflow == Overflow::kSaturate || std::isinf(v) || std::fabs(v) >= 0x1p100) {
      y[i] = static_cast<int64_t>(v < lo ? lo : (v > hi ? hi : v));
    } else {
      // |v| < 2^100 is an integer; reduce it modulo 2^width exactly (fmod is exact).
      double t = std::fmod(v, std::ldexp(1.0, spec.width));
      if (t < 0) t += std::ldexp(1.0, spec.width);
      if (spec.is_signed && t >= std::ldexp(1.0, spec.width - 1)) t -= std::ldexp(1.0, spec.width);
      y[i] = static_cast<int64_t>(t);
    }
  }
  if (n_nan) *n_nan += nan;
  return out.to(x.device());
}

at::Tensor requantize(const at::Tensor& m, int frac_in, const FixedSpec& spec, Rounding rounding,
                      Overflow overflow, const std::string& where) {
  const at::Tensor src = m.contiguous();
  at::Tensor out = at::empty_like(src);
  const int64_t* in = src.data_ptr<int64_t>();
  int64_t* y = out.data_ptr<int64_t>();
  const int64_t n = src.numel();
  const int shift = frac_in - spec.frac;
  for (int64_t i = 0; i < n; ++i) {
    int128 v = in[i];
    if (shift < 0) {
      if (-shift > kMaxBits || (v != 0 && (v >= (static_cast<int128>(1) << (kMaxBits + shift)) ||
                                           -v >= (static_cast<int128>(1) << (kMaxBits + shift)))))
        throw UserError(where + ": moving a value to frac_width " + std::to_string(spec.frac) +
                        " needs more than " + std::to_string(kMaxBits) +
                        " bits; chop's integer engine holds 62-bit mantissas");
      v = v * (static_cast<int128>(1) << -shift);
    } else {
      v = round_shift_right(v, shift, rounding);
    }
    y[i] = saturate_or_wrap(v, spec, overflow);
  }
  return out;
}

at::Tensor align_grid(const at::Tensor& m, int frac_in, int frac_out, const std::string& where) {
  CHOP_ASSERT(frac_out >= frac_in, "align_grid only refines the grid");
  const int shift = frac_out - frac_in;
  if (shift == 0) return m;
  if (shift >= kMaxBits)
    throw UserError(where + ": aligning operands needs a " + std::to_string(shift) +
                    "-bit shift; chop's integer engine holds 62-bit mantissas");
  const int64_t limit = int64_t{1} << (kMaxBits - shift);
  const at::Tensor src = m.contiguous();
  const int64_t* in = src.data_ptr<int64_t>();
  for (int64_t i = 0, n = src.numel(); i < n; ++i)
    if (in[i] >= limit || -in[i] >= limit)
      throw UserError(where + ": aligning operands to frac_width " + std::to_string(frac_out) +
                      " needs more than 62 bits");
  return src * (int64_t{1} << shift);
}

at::Tensor fixed_to_double(const at::Tensor& m, int frac) {
  return m.to(at::kDouble) * std::ldexp(1.0, -frac);  // a power of two: exact
}

}  // namespace chop::runtime
