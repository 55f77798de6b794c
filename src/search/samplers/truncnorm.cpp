// Truncated normal math for TPE; see truncnorm.h. Branch structure mirrors Optuna's _truncnorm.py
// so the same inputs give the same values (to rounding) as the Python reference.
#include "search/samplers/truncnorm.h"

#include <cfloat>
#include <cmath>
#include <limits>

namespace chop::search::samplers {
namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;

double ndtr_single(double a) {
  const double x = a * kInvSqrt2;
  if (x < -kInvSqrt2) return 0.5 * std::erfc(-x);
  if (x < kInvSqrt2) return 0.5 + 0.5 * std::erf(x);
  return 1.0 - 0.5 * std::erfc(x);
}

// log(exp(p) − exp(q)) for p ≥ q.
double log_diff(double log_p, double log_q) {
  return log_p + std::log1p(-std::exp(log_q - log_p));
}

double log_add_exp(double x, double y) {
  if (x == -std::numeric_limits<double>::infinity()) return y;
  if (y == -std::numeric_limits<double>::infinity()) return x;
  const double m = std::max(x, y);
  return m + std::log1p(std::exp(-std::fabs(x - y)));
}

// AS241 rational approximations (Wichura 1988), split by region.
double as241_central(double q) {
  const double r = 0.180625 - q * q;
  const double num = (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r +
                           6.7265770927008700853e+4) *
                              r +
                          4.5921953931549871457e+4) *
                             r +
                         1.3731693765509461125e+4) *
                            r +
                        1.9715909503065514427e+3) *
                           r +
                       1.3314166789178437745e+2) *
                          r +
                      3.3871328727963666080e+0) *
                     q;
  const double den = (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r +
                           3.9307895800092710610e+4) *
                              r +
                          2.1213794301586595867e+4) *
                             r +
                         5.3941960214247511077e+3) *
                            r +
                        6.8718700749205790830e+2) *
                           r +
                       4.2313330701600911252e+1) *
                          r +
                      1.0);
  return num / den;
}

// Magnitude of the quantile for a tail probability p with r = sqrt(-log p).
double as241_tail(double r) {
  if (r <= 5.0) {
    r -= 1.6;
    const double num = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r +
                             2.41780725177450611770e-1) *
                                r +
                            1.27045825245236838258e+0) *
                               r +
                           3.64784832476320460504e+0) *
                              r +
                          5.76949722146069140550e+0) *
                             r +
                         4.63033784615654529590e+0) *
                            r +
                        1.42343711074968357734e+0);
    const double den = (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r +
                             1.51986665636164571966e-2) *
                                r +
                            1.48103976427480074590e-1) *
                               r +
                           6.89767334985100004550e-1) *
                              r +
                          1.67638483018380384940e+0) *
                             r +
                         2.05319162663775882187e+0) *
                            r +
                        1.0);
    return num / den;
  }
  r -= 5.0;
  const double num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
                           1.24266094738807843860e-3) *
                              r +
                          2.65321895265761230930e-2) *
                             r +
                         2.96560571828504891230e-1) *
                            r +
                        1.78482653991729133580e+0) *
                           r +
                       5.46378491116411436990e+0) *
                          r +
                      6.65790464350110377720e+0);
  const double den = (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r +
                           1.84631831751005468180e-5) *
                              r +
                          7.86869131145613259100e-4) *
                             r +
                         1.48753612908506148525e-2) *
                            r +
                        1.36929880922735805310e-1) *
                           r +
                       5.99832206555887937690e-1) *
                          r +
                      1.0);
  return num / den;
}

}  // namespace

double ndtr(double a) {
  return 0.5 + 0.5 * std::erf(a * kInvSqrt2);
}

double log_ndtr(double a) {
  if (a > 6) return -ndtr_single(-a);
  if (a > -20) return std::log(ndtr_single(a));
  // Asymptotic series of the Mills ratio, summed until it stops changing.
  const double log_lhs = -0.5 * a * a - std::log(-a) - 0.91893853320467274178;
  double last_total = 0.0, rhs = 1.0, numerator = 1.0, denom_factor = 1.0;
  const double denom_cons = 1.0 / (a * a);
  double sign = 1.0;
  for (int i = 1; std::fabs(last_total - rhs) > DBL_EPSILON; ++i) {
    last_total = rhs;
    sign = -sign;
    denom_factor *= denom_cons;
    numerator *= 2 * i - 1;
    rhs += sign * numerator * denom_factor;
  }
  return log_lhs + std::log(rhs);
}

double log_gauss_mass(double a, double b) {
  if (b <= 0) return log_diff(log_ndtr(b), log_ndtr(a));
  if (a > 0) return log_diff(log_ndtr(-a), log_ndtr(-b));
  // Both tails are tiny when |a|, |b| are large: erf rounds to ±1 and the mass is exactly 1.
  if (a < -8.5 && b > 8.5) return 0.0;
  return std::log1p(-ndtr(a) - ndtr(-b));
}

double ndtri_exp(double log_p) {
  if (std::isnan(log_p)) return log_p;
  if (log_p >= 0.0) return std::numeric_limits<double>::infinity();
  if (log_p == -std::numeric_limits<double>::infinity())
    return -std::numeric_limits<double>::infinity();
  constexpr double kLogP075 = -2.5902671654458267;  // log(0.075)
  if (log_p < kLogP075) return -as241_tail(std::sqrt(-log_p));
  const double p = std::exp(log_p);
  const double q = p - 0.5;
  if (std::fabs(q) <= 0.425) return as241_central(q);
  // Upper tail: 1 − p = −expm1(log p) keeps the small complement accurate.
  return as241_tail(std::sqrt(-std::log(-std::expm1(log_p))));
}

double truncnorm_ppf(double q, double a, double b, double log_mass) {
  if (a == b) return std::numeric_limits<double>::quiet_NaN();
  if (q <= 0) return a;
  if (q >= 1) return b;
  double x;
  if (a < 0) {
    x = ndtri_exp(log_add_exp(log_ndtr(a), std::log(q) + log_mass));
  } else {
    x = -ndtri_exp(log_add_exp(log_ndtr(-b), std::log1p(-q) + log_mass));
  }
  // Rounding can leave the quantile an ulp outside the truncation interval.
  return std::fmin(std::fmax(x, a), b);
}

}  // namespace chop::search::samplers
