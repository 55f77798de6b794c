// The numeric view of one search-space parameter that the sampling algorithms work on, kept
// independent of the study's own distribution classes (adapters convert between the two).
#pragma once

#include <cmath>
#include <cstdint>

namespace chop::search::samplers {

/// One parameter. Values travel in the *internal representation*: the number itself for float
/// and int parameters, the choice index (as a double) for categorical ones.
struct ParamDomain {
  enum class Kind : uint8_t { kFloat, kInt, kCategorical };
  Kind kind = Kind::kFloat;
  double low = 0.0;  // float/int: inclusive bounds
  double high = 1.0;
  double step = 0.0;  // float: 0 = continuous; int: ≥ 1
  bool log = false;
  int n_choices = 0;  // categorical only

  static ParamDomain float_range(double low, double high, double step = 0.0, bool log = false) {
    return {Kind::kFloat, low, high, step, log, 0};
  }
  static ParamDomain int_range(int64_t low, int64_t high, int64_t step = 1, bool log = false) {
    return {Kind::kInt,
            static_cast<double>(low),
            static_cast<double>(high),
            static_cast<double>(step),
            log,
            0};
  }
  static ParamDomain categorical(int n_choices) {
    return {Kind::kCategorical, 0.0, static_cast<double>(n_choices - 1), 0.0, false, n_choices};
  }

  bool is_categorical() const { return kind == Kind::kCategorical; }
  /// True when the domain holds exactly one value (nothing to sample).
  bool single() const {
    if (is_categorical()) return n_choices <= 1;
    if (low == high) return true;
    if (step > 0 && !log) return std::floor((high - low) / step + 1e-12) < 1.0;
    return false;
  }
  /// Whether `v` (internal representation) lies in the domain, on the step grid.
  bool contains(double v) const {
    if (std::isnan(v)) return false;
    if (is_categorical()) return v >= 0 && v < n_choices && v == std::floor(v);
    if (v < low || v > high) return false;
    if (kind == Kind::kInt && v != std::floor(v)) return false;
    if (step > 0) {
      const double k = (v - low) / step;
      return std::fabs(k - std::nearbyint(k)) < 1e-8;
    }
    return true;
  }
};

}  // namespace chop::search::samplers
