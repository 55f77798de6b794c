// TpeSampler: Optuna 3.x's TPESampler on chop's Sampler interface (univariate by default,
// multivariate / group / constant liar / constraints / MOTPE), deterministic per (seed, trial
// number): every draw comes from rng_for(trial number, purpose).
#pragma once

#include "config/table_reader.h"

#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include "search/sampler.h"
#include "search/samplers/tpe.h"
#include "search/samplers/tpe_history_cache.h"

namespace chop::search {

/// Constraint values of a finished trial; feasible iff all ≤ 0 (Optuna's constraints_func).

class TpeSampler : public Sampler {
 public:
  /// `use_constraints`: rank trials by their "constraints" system attr (set by
  /// `constraints_func` in after_trial, or by whoever runs the trial).
  TpeSampler(samplers::TpeOptions options, uint64_t seed, bool use_constraints = false,
             bool warn_independent_sampling = true);

  std::string name() const override { return "tpe"; }
  ParamSpace infer_relative_search_space(const StudyView& view, const FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const StudyView& view, const FrozenTrial& trial,
                                                const ParamSpace& space) override;
  double sample_independent(const StudyView& view, const FrozenTrial& trial,
                            const std::string& param_name, const Distribution& dist) override;
  void after_trial(Study& study, FrozenTrial& trial) override;
  bool uses_pruner_filter() const override { return true; }

  /// Evaluated for COMPLETE and PRUNED trials; stores the "constraints" system attr.
  void set_constraints_func(ConstraintsFunc func);
  const samplers::TpeOptions& options() const { return engine_.options(); }

 private:
  std::map<std::string, double> sample_joint(const samplers::TpeViewState& st,
                                             const ParamSpace& space, Rng& rng);

  std::mutex mu_;  // guards everything below (sample_independent may run on several threads)
  samplers::TpeEngine engine_;
  samplers::TpeHistoryCache cache_;
  samplers::TpeWorkspace ws_;
  std::vector<double> col_buf_;
  std::vector<std::vector<double>> cols_;
  std::vector<int> sorted_buf_;
  bool warn_independent_;
  std::set<std::string> warned_;
  ConstraintsFunc constraints_func_;
};

/// Registry factory. Options (Optuna's names): consider_prior, prior_weight,
/// consider_magic_clip, consider_endpoints, n_startup_trials, n_ei_candidates,
/// gamma ("default" | "hyperopt"), multivariate, group, constant_liar (true | false | "auto"),
/// constraints, warn_independent_sampling, exact_density.
/// Its options, documented ([search.strategy.setup.sampler_options]).
const config::TableDoc& tpe_sampler_options();
std::unique_ptr<Sampler> make_tpe_sampler(const Json& options, uint64_t seed,
                                          const config::Locate& locate = {});

}  // namespace chop::search
