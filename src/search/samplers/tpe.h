// The TPE algorithm on plain arrays (no study types): split the history, fit l(x) to the good
// trials and g(x) to the rest, draw candidates from l and return the one maximising
// log l − log g. The Sampler adapter (tpe_sampler.h) feeds it from a StudyView.
#pragma once

#include <cstdint>
#include <vector>

#include "search/rng.h"
#include "search/samplers/param_domain.h"
#include "search/samplers/parzen_estimator.h"
#include "search/samplers/tpe_options.h"
#include "search/samplers/tpe_split.h"

namespace chop::search::samplers {

/// The part of a study TPE looks at: one key per usable trial in trial-number order (COMPLETE
/// and PRUNED; RUNNING too under the constant liar; multi-objective: COMPLETE only).
struct TpeHistory {
  std::vector<TpeTrialKey> keys;
  int n_finished = 0;  // COMPLETE + PRUNED among keys: drives n_startup_trials and gamma
  bool use_violations = false;
};

/// Per-trial split, shared by all parameters sampled for that trial.
struct TpePrepared {
  bool startup = true;  // fewer than n_startup_trials finished: sample at random
  TpeSplit split;
  bool multi_objective = false;
  std::vector<double> below_weights;  // MOTPE only: one per split.below entry
};

/// Reusable buffers; one per thread. Keeps steady-state sampling allocation-free.
struct TpeWorkspace {
  struct Weights {
    int n = -1;
    uint64_t last_use = 0;
    std::vector<double> w, log_w;
  };
  Weights weights[4];  // recent weight vectors (below and above sizes) and their logs, LRU
  uint64_t tick = 0;
  ParzenEstimator below, above;
  std::vector<double> below_vals, above_vals, below_w, above_w, candidates, ll, lg;
  std::vector<const double*> below_cols, above_cols;
  std::vector<int> kept, pos_of_key, above_order;
};

class TpeEngine {
 public:
  explicit TpeEngine(TpeOptions options = {});
  const TpeOptions& options() const { return options_; }

  TpePrepared prepare(const TpeHistory& history) const;

  /// Samples `dims` jointly (one dim = univariate TPE) and writes internal values to `out`.
  /// columns[d][i] is dim d's internal value in history key i (NaN: the trial lacks it); only
  /// trials holding every dim are used. Returns false while in the startup phase (caller
  /// samples at random).
  /// `sorted_keys` (optional, one dim only): the history keys holding a value, in ascending
  /// value order (any order among equal values); lets g(x) skip its O(N log N) sort.
  bool sample(const std::vector<ParamDomain>& dims, const std::vector<const double*>& columns,
              const TpePrepared& prepared, Rng& rng, TpeWorkspace& ws, double* out,
              const std::vector<int>* sorted_keys = nullptr) const;

 private:
  const TpeWorkspace::Weights& weights_for(int n, TpeWorkspace& ws) const;
  TpeOptions options_;
  ParzenOptions parzen_;
};

}  // namespace chop::search::samplers
