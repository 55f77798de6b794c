// Truncated standard normal helpers for TPE, numerically equivalent to Optuna's
// samplers/_tpe/_truncnorm.py (log-space CDF, interval mass, quantile), without scipy.
#pragma once

namespace chop::search::samplers {

/// Φ(a) as Optuna's vectorised `_ndtr`: 0.5 + 0.5·erf(a/√2) (accurate in absolute terms).
double ndtr(double a);

/// log Φ(a), accurate in both tails (Optuna's `_log_ndtr_single`).
double log_ndtr(double a);

/// log(Φ(b) − Φ(a)) for a ≤ b, computed on the side that avoids cancellation.
double log_gauss_mass(double a, double b);

/// x with log Φ(x) = log_p (inverse of log_ndtr; Wichura's AS241 with the tail variable taken
/// from log_p directly, so it stays accurate far below 1e-300).
double ndtri_exp(double log_p);

/// Quantile of the standard normal truncated to [a, b] at probability q ∈ [0, 1].
/// `log_mass` must be log_gauss_mass(a, b) (callers precompute it per kernel).
double truncnorm_ppf(double q, double a, double b, double log_mass);

/// −x²/2 − log √(2π).
inline double norm_logpdf(double x) {
  return -0.5 * x * x - 0.91893853320467274178;
}

}  // namespace chop::search::samplers
