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
  bool exact_density = false;  // see TpeOptions::exact_density
};

class ParzenEstimator {
 public:
  /// Builds the mixture. `columns[d]` points at `n_obs` internal values of dimension d (all
  /// finite); `obs_weights` holds `n_obs` non-negative raw weights in the same order. Buffers are
  /// reused across builds, so a long-lived estimator does not allocate in steady state.
  /// `sorted_order` (optional, one numeric dim only): the observations' positions in ascending
  /// value order, valid only when no two observations are equal (then every sort agrees with
  /// numpy's and the O(N log N) sort is skipped).
  /// `obs_log_weights` (optional): log of each obs_weights entry, when the caller has it cached.
  void build(const std::vector<ParamDomain>& dims, const std::vector<const double*>& columns,
             int n_obs, const double* obs_weights, const ParzenOptions& options,
             const int* sorted_order = nullptr, const double* obs_log_weights = nullptr);

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
    std::vector<double> mus, sigmas, inv_sigmas, log_mass, neg_log_sigma;
    std::vector<double> log_norm;  // −log σ − log mass − log √(2π): continuous log N_i(x) + z²/2
    std::vector<double> log_w_norm;  // log w_i + log_norm_i (one-dimensional fast path)
    double log_norm_max = 0, log_w_norm_max = 0;
    // categorical kernels: choice of each observation kernel (−1 for the prior row)
    std::vector<int> choice;
    double log_hit = 0, log_miss = 0, log_uniform = 0;
    double p_hit = 0, p_miss = 0;
    std::vector<double> mixture_log_pmf;  // univariate fast path
  };

  void build_numeric(Dim& dim, const double* column, int n_obs, bool with_prior,
                     const ParzenOptions& options, const int* sorted_order);
  void build_categorical(Dim& dim, const double* column, int n_obs, bool with_prior,
                         const ParzenOptions& options);
  bool merge_prior_into_order(const std::vector<double>& mus, int n_obs, bool with_prior,
                              const int* sorted_order);
  double to_external(const Dim& dim, double x) const;
  void add_discrete_log_mass(const Dim& dim, double x, double* acc) const;
  double log_pdf_discrete_1d(double x) const;

  std::vector<Dim> dims_;
  std::vector<double> weights_, log_weights_, cum_weights_;
  double log_weights_max_ = 0;
  int n_kernels_ = 0;
  double sigma0_ = 0;  // multivariate bandwidth factor
  // scratch
  mutable std::vector<double> acc_, bound_;
  mutable std::vector<int> active_;
  std::vector<int> order_;
};

}  // namespace chop::search::samplers
