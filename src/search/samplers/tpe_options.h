// TPE's tunables with Optuna 3.x defaults, and the default gamma/weights functions
// (optuna/samplers/_tpe/sampler.py: default_gamma, hyperopt_default_gamma, default_weights).
#pragma once

#include <functional>
#include <vector>

namespace chop::search::samplers {

/// min(ceil(0.1·n), 25): size of the "good" set for n finished trials.
int default_gamma(int n_trials);
/// min(ceil(0.25·√n), 25): hyperopt 0.1.2's gamma.
int hyperopt_default_gamma(int n_trials);
/// n < 25 → ones; else linspace(1/n, 1, n−25) followed by 25 ones (oldest first).
std::vector<double> default_weights(int n_observations);
/// Same as default_weights but writes into `out` (no allocation when its capacity suffices).
void default_weights_into(int n_observations, std::vector<double>& out);

struct TpeOptions {
  bool consider_prior = true;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  int n_startup_trials = 10;
  int n_ei_candidates = 24;
  /// Empty → default_gamma.
  std::function<int(int)> gamma;
  /// Empty → default_weights (the fast built-in path).
  std::function<std::vector<double>(int)> weights;
  bool multivariate = false;
  bool group = false;          // multivariate over groups of co-occurring parameters
  bool constant_liar = false;  // RUNNING trials count as the worst observations
  /// Optuna 3.0–3.4 (and the reference runtime, 3.1) score continuous kernels without the
  /// −log σ term of the truncated-normal density; 3.5+ include it (optuna PR #5110). false:
  /// the 3.0–3.4 behaviour (the default here); true: the exact density of 3.5+ / 4.x.
  bool exact_density = false;

  int gamma_of(int n) const { return gamma ? gamma(n) : default_gamma(n); }
};

}  // namespace chop::search::samplers
