// Parzen estimator construction, sampling and scoring; see parzen_estimator.h. Formulas follow
// optuna/samplers/_tpe/parzen_estimator.py (3.x) step by step.
#include "search/samplers/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "search/samplers/mixture_math.h"
#include "search/samplers/numpy_argsort.h"
#include "search/samplers/truncnorm.h"

namespace chop::search::samplers {
namespace {

constexpr double kEps = 1e-12;
constexpr double kSigma0Magnitude = 0.2;
constexpr double kLogSqrt2Pi = 0.91893853320467274178;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
// Mixture terms more than this many nats below the largest one change the sum by < 1e-20.
constexpr double kLogSumExpCut = 50.0;

}  // namespace

void ParzenEstimator::build(const std::vector<ParamDomain>& dims,
                            const std::vector<const double*>& columns, int n_obs,
                            const double* obs_weights, const ParzenOptions& options,
                            const int* sorted_order, const double* obs_log_weights) {
  CHOP_ASSERT(columns.size() == dims.size(), "one observation column per dimension");
  const bool with_prior = options.consider_prior || n_obs == 0;
  n_kernels_ = n_obs + (with_prior ? 1 : 0);

  double sum = 0.0;
  for (int i = 0; i < n_obs; ++i) {
    const double w = obs_weights[i];
    if (!(w >= 0.0) || !std::isfinite(w))
      throw UserError("TPE weights must be finite and non-negative (got " + std::to_string(w) +
                      " for " + std::to_string(n_obs) + " observations)");
    sum += w;
  }
  if (n_obs > 0 && sum <= 0.0)
    throw UserError("TPE weights must not all be zero (" + std::to_string(n_obs) +
                    " observations)");
  weights_.resize(n_kernels_);
  std::copy(obs_weights, obs_weights + n_obs, weights_.begin());
  if (with_prior) weights_[n_obs] = options.prior_weight;
  const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  log_weights_.resize(n_kernels_);
  cum_weights_.resize(n_kernels_);
  double run = 0.0;
  const double log_total = std::log(total);
  for (int i = 0; i < n_kernels_; ++i) {
    // log(w / total) as log w − log total: one log per estimator when log w is cached.
    log_weights_[i] =
        (obs_log_weights && i < n_obs ? obs_log_weights[i] : std::log(weights_[i])) - log_total;
    weights_[i] /= total;
    run += weights_[i];
    cum_weights_[i] = run;
  }
  for (auto& c : cum_weights_) c /= run;
  log_weights_max_ = max_of(log_weights_.data(), n_kernels_);

  const int n_dims = static_cast<int>(dims.size());
  sigma0_ =
      kSigma0Magnitude * std::pow(static_cast<double>(std::max(n_obs, 1)), -1.0 / (n_dims + 4));
  dims_.resize(n_dims);
  for (int d = 0; d < n_dims; ++d) {
    Dim& dim = dims_[d];
    dim.domain = dims[d];
    dim.categorical = dims[d].is_categorical();
    if (dim.categorical)
      build_categorical(dim, columns[d], n_obs, with_prior, options);
    else
      build_numeric(dim, columns[d], n_obs, with_prior, options,
                    n_dims == 1 ? sorted_order : nullptr);
  }
}

void ParzenEstimator::build_numeric(Dim& dim, const double* column, int n_obs, bool with_prior,
                                    const ParzenOptions& options, const int* sorted_order) {
  const ParamDomain& p = dim.domain;
  dim.log = p.log;
  if (p.kind == ParamDomain::Kind::kFloat) {
    if (p.log) {
      dim.low_t = std::log(p.low), dim.high_t = std::log(p.high), dim.q = 0;
    } else if (p.step > 0) {
      dim.q = p.step, dim.low_t = p.low - 0.5 * p.step, dim.high_t = p.high + 0.5 * p.step;
    } else {
      dim.low_t = p.low, dim.high_t = p.high, dim.q = 0;
    }
  } else if (p.log) {  // int, log: continuous in log space, rounded on the way out
    dim.low_t = std::log(p.low - 0.5), dim.high_t = std::log(p.high + 0.5), dim.q = 0;
  } else {
    dim.q = p.step, dim.low_t = p.low - 0.5 * p.step, dim.high_t = p.high + 0.5 * p.step;
  }
  const double low = dim.low_t, high = dim.high_t, range = high - low;
  CHOP_ASSERT(low < high, "Parzen bounds must satisfy low < high");

  const int k = n_obs + (with_prior ? 1 : 0);
  dim.mus.resize(k);
  dim.sigmas.resize(k);
  for (int i = 0; i < n_obs; ++i) dim.mus[i] = p.log ? std::log(column[i]) : column[i];
  if (with_prior) dim.mus[n_obs] = 0.5 * (low + high);

  if (options.multivariate) {
    std::fill(dim.sigmas.begin(), dim.sigmas.end(), sigma0_ * range);
  } else {
    // Neighbour rule on the sorted centres padded with the bounds. Tied centres get different σ
    // depending on their order, so sort exactly as numpy does.
    if (!sorted_order || !merge_prior_into_order(dim.mus, n_obs, with_prior, sorted_order))
      numpy_argsort(dim.mus.data(), k, order_);
    for (int s = 0; s < k; ++s) {
      const double mu = dim.mus[order_[s]];
      const double left = s == 0 ? low : dim.mus[order_[s - 1]];
      const double right = s == k - 1 ? high : dim.mus[order_[s + 1]];
      dim.sigmas[order_[s]] = std::max(mu - left, right - mu);
    }
    if (!options.consider_endpoints && k >= 2) {
      dim.sigmas[order_[0]] = dim.mus[order_[1]] - dim.mus[order_[0]];
      dim.sigmas[order_[k - 1]] = dim.mus[order_[k - 1]] - dim.mus[order_[k - 2]];
    }
  }
  const double max_sigma = range;
  const double min_sigma = options.consider_magic_clip ? range / std::min(100.0, 1.0 + k) : kEps;
  for (auto& s : dim.sigmas) s = std::min(std::max(s, min_sigma), max_sigma);
  if (with_prior) dim.sigmas[n_obs] = range;

  dim.inv_sigmas.resize(k);
  dim.log_mass.resize(k);
  dim.log_norm.resize(k);
  dim.neg_log_sigma.resize(k);
  double last_sigma = -1.0, last_log_sigma = 0.0;
  for (int i = 0; i < k; ++i) {
    const double s = dim.sigmas[i];
    dim.inv_sigmas[i] = 1.0 / s;
    dim.log_mass[i] = log_gauss_mass((low - dim.mus[i]) / s, (high - dim.mus[i]) / s);
    if (s != last_sigma) last_sigma = s, last_log_sigma = std::log(s);  // most σ are equal
    const double log_sigma = options.exact_density ? last_log_sigma : 0.0;
    dim.neg_log_sigma[i] = -last_log_sigma;
    dim.log_norm[i] = -log_sigma - dim.log_mass[i] - kLogSqrt2Pi;
  }
  dim.log_norm_max = max_of(dim.log_norm.data(), k);
  dim.log_w_norm.resize(k);
  for (int i = 0; i < k; ++i) dim.log_w_norm[i] = log_weights_[i] + dim.log_norm[i];
  dim.log_w_norm_max = max_of(dim.log_w_norm.data(), k);
}

bool ParzenEstimator::merge_prior_into_order(const std::vector<double>& mus, int n_obs,
                                             bool with_prior, const int* sorted_order) {
  order_.resize(n_obs + (with_prior ? 1 : 0));
  if (!with_prior) {
    std::copy(sorted_order, sorted_order + n_obs, order_.begin());
    return true;
  }
  const double prior_mu = mus[n_obs];
  int out = 0;
  bool placed = false;
  for (int s = 0; s < n_obs; ++s) {
    const double v = mus[sorted_order[s]];
    // A tie (with the prior, or created by the log transform) needs numpy's exact order.
    if (v == prior_mu || (s > 0 && !(mus[sorted_order[s - 1]] < v))) return false;
    if (!placed && prior_mu < v) order_[out++] = n_obs, placed = true;
    order_[out++] = sorted_order[s];
  }
  if (!placed) order_[out++] = n_obs;
  return true;
}

void ParzenEstimator::build_categorical(Dim& dim, const double* column, int n_obs, bool with_prior,
                                        const ParzenOptions& options) {
  const int n_choices = dim.domain.n_choices;
  CHOP_ASSERT(n_choices >= 1, "categorical parameter needs at least one choice");
  const int k = n_obs + (with_prior ? 1 : 0);
  dim.choice.resize(k);
  for (int i = 0; i < n_obs; ++i) dim.choice[i] = static_cast<int>(column[i]);
  if (with_prior) dim.choice[n_obs] = -1;
  // Every row starts at prior_weight / n_rows, the observed choice gets +1, rows are normalised.
  const double v = options.prior_weight / (with_prior ? n_obs + 1 : n_obs);
  const double row_sum = n_choices * v + 1.0;
  dim.p_hit = (v + 1.0) / row_sum;
  dim.p_miss = v / row_sum;
  dim.log_hit = std::log(dim.p_hit);
  dim.log_miss = std::log(dim.p_miss);
  dim.log_uniform = -std::log(static_cast<double>(n_choices));

  // Mixture pmf for the one-dimensional fast path (Optuna's inner(weights.T, mixture weights)).
  dim.mixture_log_pmf.assign(n_choices, 0.0);
  double base = 0.0;
  for (int i = 0; i < k; ++i) {
    if (dim.choice[i] < 0) {
      base += weights_[i] / n_choices;
    } else {
      base += weights_[i] * dim.p_miss;
      dim.mixture_log_pmf[dim.choice[i]] += weights_[i] * (dim.p_hit - dim.p_miss);
    }
  }
  for (auto& m : dim.mixture_log_pmf) m = std::log(m + base);
}

double ParzenEstimator::categorical_prob(int d, int k, int c) const {
  const Dim& dim = dims_[d];
  if (dim.choice[k] < 0) return 1.0 / dim.domain.n_choices;
  return dim.choice[k] == c ? dim.p_hit : dim.p_miss;
}

double ParzenEstimator::to_external(const Dim& dim, double x) const {
  const ParamDomain& p = dim.domain;
  if (p.kind == ParamDomain::Kind::kFloat) {
    if (p.log) return std::min(std::max(std::exp(x), p.low), p.high);
    if (p.step > 0) {
      const double v = std::nearbyint((x - p.low) / p.step) * p.step + p.low;
      return std::min(std::max(v, p.low), p.high);
    }
    return std::min(std::max(x, p.low), p.high);
  }
  const double v =
      p.log ? std::nearbyint(std::exp(x)) : std::nearbyint((x - p.low) / p.step) * p.step + p.low;
  return std::min(std::max(v, p.low), p.high);
}

void ParzenEstimator::sample(Rng& rng, int n, double* out) const {
  const int n_dims = static_cast<int>(dims_.size());
  active_.resize(n);
  for (int k = 0; k < n; ++k) {
    const double u = rng.uniform();
    const auto it = std::upper_bound(cum_weights_.begin(), cum_weights_.end(), u);
    active_[k] = std::min(static_cast<int>(it - cum_weights_.begin()), n_kernels_ - 1);
  }
  for (int d = 0; d < n_dims; ++d) {
    const Dim& dim = dims_[d];
    for (int k = 0; k < n; ++k) {
      const int i = active_[k];
      const double u = rng.uniform();
      double value;
      if (dim.categorical) {
        const int n_choices = dim.domain.n_choices;
        int c = 0;
        double cum = 0.0;
        for (; c < n_choices; ++c) {
          cum +=
              dim.choice[i] < 0 ? 1.0 / n_choices : (dim.choice[i] == c ? dim.p_hit : dim.p_miss);
          if (!(cum < u)) break;
        }
        value = std::min(c, n_choices - 1);
      } else {
        const double s = dim.sigmas[i], mu = dim.mus[i];
        const double z =
            truncnorm_ppf(u, (dim.low_t - mu) / s, (dim.high_t - mu) / s, dim.log_mass[i]);
        value = to_external(dim, z * s + mu);
      }
      out[static_cast<size_t>(k) * n_dims + d] = value;
    }
  }
}

void ParzenEstimator::add_discrete_log_mass(const Dim& dim, double x, double* acc) const {
  const int k = n_kernels_;
  const double xt = dim.log ? std::log(x) : x;
  const double ub = std::min(xt + 0.5 * dim.q, dim.high_t);
  const double lb = std::max(xt - 0.5 * dim.q, dim.low_t);
  const double* mus = dim.mus.data();
  for (int i = 0; i < k; ++i) {
    const double inv = dim.inv_sigmas[i];
    acc[i] += log_gauss_mass((lb - mus[i]) * inv, (ub - mus[i]) * inv) - dim.log_mass[i];
  }
}

double ParzenEstimator::log_pdf_discrete_1d(double x) const {
  // Exact terms only where an upper bound (cell width × peak density on the cell, and ≤ 1) says
  // the term can come within kLogSumExpCut of the largest one; erf-based masses are costly.
  const Dim& dim = dims_[0];
  const int k = n_kernels_;
  const double xt = dim.log ? std::log(x) : x;
  const double ub = std::min(xt + 0.5 * dim.q, dim.high_t);
  const double lb = std::max(xt - 0.5 * dim.q, dim.low_t);
  if (!(ub > lb)) return kNegInf;
  const double log_width = std::log(ub - lb);
  acc_.resize(k);
  bound_.resize(k);
  double best_bound = kNegInf;
  for (int i = 0; i < k; ++i) {
    const double mu = dim.mus[i], inv = dim.inv_sigmas[i];
    const double z_near = mu < lb ? (lb - mu) * inv : (mu > ub ? (mu - ub) * inv : 0.0);
    const double base = log_weights_[i] - dim.log_mass[i];
    const double b = base + std::min(0.0, dim.neg_log_sigma[i] - kLogSqrt2Pi + log_width -
                                              0.5 * z_near * z_near);
    bound_[i] = b;
    best_bound = std::max(best_bound, b);
    acc_[i] = kNegInf;
  }
  auto exact = [&](int i) {
    const double inv = dim.inv_sigmas[i];
    acc_[i] = log_weights_[i] - dim.log_mass[i] +
              log_gauss_mass((lb - dim.mus[i]) * inv, (ub - dim.mus[i]) * inv);
    return acc_[i];
  };
  double top = kNegInf;
  for (int i = 0; i < k; ++i)
    if (bound_[i] >= best_bound - kLogSumExpCut) top = std::max(top, exact(i));
  if (top == kNegInf) return kNegInf;
  for (int i = 0; i < k; ++i)
    if (acc_[i] == kNegInf && bound_[i] >= top - kLogSumExpCut &&
        bound_[i] < best_bound - kLogSumExpCut)
      top = std::max(top, exact(i));
  return log_sum_exp_bounded(acc_.data(), k, top);
}

void ParzenEstimator::log_pdf(const double* points, int n, double* out) const {
  const int n_dims = static_cast<int>(dims_.size());
  const int k = n_kernels_;
  if (n_dims == 1) {
    const Dim& dim = dims_[0];
    if (dim.categorical) {
      for (int j = 0; j < n; ++j) out[j] = dim.mixture_log_pmf[static_cast<int>(points[j])];
      return;
    }
    if (dim.q == 0) {
      // One fused pass per point: t_i = log w_i + log N_i(x), summed against a bound of max t_i.
      const double* a = dim.log_w_norm.data();
      const double* mus = dim.mus.data();
      const double* inv = dim.inv_sigmas.data();
      for (int j = 0; j < n; ++j) {
        const double xt = dim.log ? std::log(points[j]) : points[j];
        if (!(xt >= dim.low_t && xt <= dim.high_t)) {
          out[j] = kNegInf;
          continue;
        }
        out[j] = gauss_mixture_log_sum(a, mus, inv, k, xt, dim.log_w_norm_max);
      }
      return;
    }
    // Discrete: candidates often repeat after rounding; score each distinct value once.
    for (int j = 0; j < n; ++j) {
      int prev = -1;
      for (int i = 0; i < j; ++i)
        if (points[i] == points[j]) prev = i;
      out[j] = prev >= 0 ? out[prev] : log_pdf_discrete_1d(points[j]);
    }
    return;
  }
  acc_.resize(k);
  double* acc = acc_.data();
  for (int j = 0; j < n; ++j) {
    std::copy(log_weights_.begin(), log_weights_.end(), acc);
    double upper = log_weights_max_;
    for (int d = 0; d < n_dims; ++d) {
      const Dim& dim = dims_[d];
      const double x = points[static_cast<size_t>(j) * n_dims + d];
      if (dim.categorical) {
        const int c = static_cast<int>(x);
        add_choice_log(acc, dim.choice.data(), k, c, dim.log_hit, dim.log_miss);
        if (dim.choice[k - 1] < 0) acc[k - 1] += dim.log_uniform - dim.log_miss;  // the prior row
        upper += std::max(dim.log_hit, dim.log_uniform);
      } else if (dim.q != 0) {
        add_discrete_log_mass(dim, x, acc);
        upper += 0.0;  // a probability mass is ≤ 1
      } else {
        const double xt = dim.log ? std::log(x) : x;
        if (!(xt >= dim.low_t && xt <= dim.high_t)) {
          upper = kNegInf;
          break;
        }
        add_gauss_log(acc, dim.log_norm.data(), dim.mus.data(), dim.inv_sigmas.data(), k, xt);
        upper += dim.log_norm_max;
      }
    }
    out[j] = log_sum_exp_bounded(acc, k, upper);
  }
}

}  // namespace chop::search::samplers
