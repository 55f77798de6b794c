// TPE's Parzen estimator: a weighted mixture of one kernel per observation (+ a prior kernel),
// truncated Gaussians for numeric parameters and smoothed one-hot rows for categorical ones,
// built exactly as Optuna 3.x's _ParzenEstimator (same centres, bandwidths and weights).
#pragma once

#include <vector>

#include "search/rng.h"
#include "search/samplers/param_domain.h"

namespace chop::search::samplers {

struct ParzenOptions {
  bool consider_prior = true;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  bool multivariate = false;
  bool legacy_v31_logpdf = false;  // see TpeOptions::legacy_v31_logpdf
};

class ParzenEstimator {
 public:
  /// Builds the mixture. `columns[d]` points at `n_obs` internal values of dimension d (all
  /// finite); `obs_weights` holds `n_obs` non-negative raw weights in the same order. Buffers are
  /// reused across builds, so a long-lived estimator does not allocate in steady state.
  void build(const std::vector<ParamDomain>& dims, const std::vector<const double*>& columns,
             int n_obs, const double* obs_weights, const ParzenOptions& options);

  int n_dims() const { return static_cast<int>(dims_.size()); }
  int n_kernels() const { return n_kernels_; }
  /// Normalised mixture weights; the prior kernel (when present) is last.
  const std::vector<double>& weights() const { return weights_; }
  /// Transformed bounds low' / high' and discretisation step q (0: continuous) of a numeric dim.
  double low(int d) const { return dims_[d].low_t; }
  double high(int d) const { return dims_[d].high_t; }
  double q(int d) const { return dims_[d].q; }
  const std::vector<double>& mus(int d) const { return dims_[d].mus; }
  const std::vector<double>& sigmas(int d) const { return dims_[d].sigmas; }
  /// Categorical dim: probability of choice c under kernel k.
  double categorical_prob(int d, int k, int c) const;

  /// Draws `n` points; out[k * n_dims() + d] is the internal value of dim d of point k.
  void sample(Rng& rng, int n, double* out) const;
  /// log density (pmf for discrete/categorical dims) of `n` points laid out as in sample().
  void log_pdf(const double* points, int n, double* out) const;

 private:
  struct Dim {
    ParamDomain domain;
    bool categorical = false;
    bool log = false;
    double low_t = 0, high_t = 0, q = 0;
    // numeric kernels
    std::vector<double> mus, sigmas, inv_sigmas, log_mass, log_norm;
    // categorical kernels: choice of each observation kernel (−1 for the prior row)
    std::vector<int> choice;
    double log_hit = 0, log_miss = 0, log_uniform = 0;
    double p_hit = 0, p_miss = 0;
    std::vector<double> mixture_log_pmf;  // univariate fast path
  };

  void build_numeric(Dim& dim, const double* column, int n_obs, bool with_prior,
                     const ParzenOptions& options);
  void build_categorical(Dim& dim, const double* column, int n_obs, bool with_prior,
                         const ParzenOptions& options);
  double to_external(const Dim& dim, double x) const;
  void add_numeric_log_pdf(const Dim& dim, double x, double* acc) const;

  std::vector<Dim> dims_;
  std::vector<double> weights_, log_weights_, cum_weights_;
  int n_kernels_ = 0;
  double sigma0_ = 0;  // multivariate bandwidth factor
  // scratch
  mutable std::vector<double> acc_;
  mutable std::vector<int> active_;
  std::vector<int> order_;
};

}  // namespace chop::search::samplers
