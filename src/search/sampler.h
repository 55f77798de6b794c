// Abstract sampler, modelled on Optuna's BaseSampler. Samplers are pure functions of
// (seed, trial number, StudyView): use rng_for() for every random draw so that the same seed and
// the same n_jobs give the same trials (docs/search-engine.md, determinism rule).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "search/distribution.h"
#include "search/rng.h"
#include "search/study_view.h"
#include "search/trial.h"

namespace chop::search {

class Study;

class Sampler {
 public:
  explicit Sampler(uint64_t seed = 0) : seed_(seed) {}
  virtual ~Sampler() = default;

  /// Registry name ("random", "tpe", ...).
  virtual std::string name() const = 0;

  /// Parameters to sample jointly at ask time (Optuna's relative search space). Default: none.
  virtual ParamSpace infer_relative_search_space(const StudyView& view, const FrozenTrial& trial) {
    return {};
  }
  /// Joint sample over `space`, as internal values. Names missing from the result fall back to
  /// sample_independent. Called once per trial, serialised in trial-number order.
  virtual std::map<std::string, double> sample_relative(const StudyView& view,
                                                        const FrozenTrial& trial,
                                                        const ParamSpace& space) {
    return {};
  }
  /// One parameter not covered by the relative sample; returns an internal value that `dist`
  /// contains. May be called from several threads at once (one trial each): must not mutate
  /// shared state without its own locking.
  virtual double sample_independent(const StudyView& view, const FrozenTrial& trial,
                                    const std::string& param_name, const Distribution& dist) = 0;

  /// Before relative sampling, at ask time (serialised in number order). `trial` is the new
  /// trial; samplers may set system attrs on it (e.g. grid_id).
  virtual void before_trial(const StudyView& view, FrozenTrial& trial) {}
  /// After the trial's state is decided, before it is stored (may set system attrs on `trial`).
  /// Calls study.stop() to end optimize() early (e.g. a finite space is exhausted).
  virtual void after_trial(Study& study, FrozenTrial& trial) {}
  /// True once every configuration of a finite space has been proposed (bruteforce, grid):
  /// optimize() then stops asking for new trials.
  virtual bool exhausted(const StudyView& view) const { return false; }
  /// True for samplers that enumerate configurations (bruteforce): in a study shared between
  /// processes each trial is then created already holding its configuration's claim, so
  /// workers never pick one another's configuration (Storage::create_trial_claiming).
  virtual bool claims_at_ask() const { return false; }

  /// True for model-based samplers (TPE, CMA-ES style) that should only learn from the trials a
  /// pruner groups with this one (Hyperband brackets, as Optuna's _filter_study).
  virtual bool uses_pruner_filter() const { return false; }

  /// Replaces the seed. Unlike Optuna, threads never reseed: streams derive from trial numbers.
  virtual void reseed(uint64_t seed) { seed_ = seed; }
  uint64_t seed() const { return seed_; }

 protected:
  /// The random stream for one trial and one purpose (a parameter name, "relative", ...).
  Rng rng_for(int64_t trial_number, const std::string& purpose) const {
    return Rng(mix_seed(seed_, static_cast<uint64_t>(trial_number), stable_hash(purpose)));
  }

 private:
  uint64_t seed_;
};

/// Uniform draw in a distribution's domain with Optuna's RandomSampler transforms (log, step,
/// int rounding; categorical uniform over indices). Shared by samplers for their fallbacks.
double sample_uniform(const Distribution& dist, Rng& rng);

/// Maps u in [0, 1) onto a distribution's domain (the transformed box Optuna's QMC uses):
/// float: low + u (high - low) (log in ln-space), stepped/int: cells widened by step/2,
/// categorical: floor(u C).
double from_unit(const Distribution& dist, double u);

/// Constraint values of a finished trial (<= 0 feasible), as Optuna's constraints_func.
using ConstraintsFunc = std::function<std::vector<double>(const FrozenTrial&)>;

/// Stores `func(trial)` as the trial's "constraints" system attribute (COMPLETE/PRUNED trials
/// only; nothing without a function). Throws UserError on a NaN value. Shared by every sampler
/// that honours constraints (TPE, NSGA-II/III).
void record_constraints(const ConstraintsFunc& func, FrozenTrial& trial);

}  // namespace chop::search
