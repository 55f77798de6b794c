// NSGAIISampler and NSGAIIISampler (Optuna semantics) on chop's Sampler interface: generation
// bookkeeping in the "nsga2:generation" system attr, elite selection by non-dominated sorting
// with crowding distance (NSGA-II) or reference-point niching (NSGA-III), binary-tournament
// parents, uniform crossover and per-gene mutation to random values; deterministic per
// (seed, trial number).
#pragma once

#include "config/table_reader.h"

#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "search/sampler.h"
#include "search/samplers/nsga.h"
#include "search/samplers/tpe_sampler.h"

namespace chop::search {

struct NsgaOptions {
  int population_size = 50;
  std::optional<double> mutation_prob;  // unset: 1 / max(1, number of params in the child)
  double crossover_prob = 0.9;
  double swapping_prob = 0.5;
  bool use_constraints = false;  // constrained domination from the "constraints" system attr
  bool nsga3 = false;
  std::vector<std::vector<double>> reference_points;  // NSGA-III; empty: Das–Dennis
  int dividing_parameter = 3;                         // NSGA-III
};

class NsgaSampler : public Sampler {
 public:
  NsgaSampler(NsgaOptions options, uint64_t seed);

  std::string name() const override { return options_.nsga3 ? "nsgaiii" : "nsgaii"; }
  ParamSpace infer_relative_search_space(const StudyView& view, const FrozenTrial& trial) override;
  void before_trial(const StudyView& view, FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const StudyView& view, const FrozenTrial& trial,
                                                const ParamSpace& space) override;
  double sample_independent(const StudyView& view, const FrozenTrial& trial,
                            const std::string& param_name, const Distribution& dist) override;
  void after_trial(Study& study, FrozenTrial& trial) override;

  void set_constraints_func(ConstraintsFunc func);
  const NsgaOptions& options() const { return options_; }

  /// System attr holding a trial's generation (Optuna 3.1's key).
  static constexpr const char* kGenerationKey = "nsga2:generation";

 private:
  struct Parents {
    int generation = -1;
    std::vector<const FrozenTrial*> population;
  };
  const Parents& parents_for(const StudyView& view);
  std::vector<int64_t> select_elite(const std::vector<const FrozenTrial*>& pool, int generation,
                                    const std::vector<Direction>& directions);
  std::map<std::string, double> crossover(const Parents& parents, const ParamSpace& space,
                                          const std::vector<Direction>& directions, Rng& rng);
  samplers::GaMember member_of(const FrozenTrial& t, const std::vector<Direction>& dirs) const;

  NsgaOptions options_;
  std::mutex mu_;
  ConstraintsFunc constraints_func_;
  // Elite selections are pure functions of their pool: memoised by the pool's trial numbers.
  std::map<std::vector<int64_t>, std::vector<int64_t>> elite_memo_;
  int64_t parents_number_ = -1;
  size_t parents_n_trials_ = 0;
  std::string parents_study_;
  Parents parents_;
  std::vector<int> generation_of_;  // by trial number, for COMPLETE trials
  // Interned search spaces of COMPLETE trials, by trial number.
  std::string space_study_;
  std::vector<int> space_id_;
  std::vector<ParamSpace> spaces_;
};

/// Registry factories. Options: population_size (50), mutation_prob (null: 1/n_params),
/// crossover ("uniform"), crossover_prob (0.9), swapping_prob (0.5), constraints (false);
/// NSGA-III also reference_points ([[...], ...]) and dividing_parameter (3).
/// Their options, documented ([search.strategy.setup.sampler_options]).
const config::TableDoc& nsgaii_sampler_options();
const config::TableDoc& nsgaiii_sampler_options();
std::unique_ptr<Sampler> make_nsgaii_sampler(const Json& options, uint64_t seed,
                                             const config::Locate& locate = {});
std::unique_ptr<Sampler> make_nsgaiii_sampler(const Json& options, uint64_t seed,
                                              const config::Locate& locate = {});

}  // namespace chop::search
