// Hot loops of TPE's mixture densities (log-sum-exp over ~N kernels per candidate), compiled
// three times on x86-64 (AVX-512, AVX2 and baseline SSE2, picked at load time) and written so
// that all give bit-identical results: element-wise vector math (no FMA), sums in fixed order.
#pragma once

namespace chop::search::samplers {

/// log Σ_i exp(a_i − ½((x − mu_i)·inv_i)²), given `upper` ≥ every term (exact fallback if the
/// bound is so loose that all terms underflow). −inf when k == 0.
double gauss_mixture_log_sum(const double* a, const double* mu, const double* inv, int k, double x,
                             double upper);

/// acc_i += norm_i − ½((x − mu_i)·inv_i)².
void add_gauss_log(double* acc, const double* norm, const double* mu, const double* inv, int k,
                   double x);

/// acc_i += (choice_i == c ? log_hit : log_miss).
void add_choice_log(double* acc, const int* choice, int k, int c, double log_hit, double log_miss);

/// log Σ_i exp(t_i), given `upper` ≥ max t_i (same fallback).
double log_sum_exp_bounded(const double* t, int k, double upper);

/// max_i t_i (−inf when k == 0).
double max_of(const double* t, int k);

}  // namespace chop::search::samplers
