// Survivor selection of NSGA-II and NSGA-III on plain loss vectors, following Optuna's
// NSGAIISampler (3.1) and NSGAIIISampler (3.2+): (constrained) domination, fast non-dominated
// sorting, crowding distance, Das–Dennis reference points and niche-preserving selection.
#pragma once

#include <cstddef>
#include <vector>

#include "search/rng.h"

namespace chop::search::samplers {

/// One COMPLETE trial as the GA sees it.
struct GaMember {
  std::vector<double> values;  // as reported (crowding distance sorts these, as Optuna does)
  std::vector<double> losses;  // minimised: maximised objectives are negated
  bool has_constraints = false;
  std::vector<double> constraints;  // feasible iff all ≤ 0
};

/// Optuna's _dominates: a ≠ b and a ≤ b in every objective.
bool ga_dominates(const GaMember& a, const GaMember& b);
/// Optuna's _constrained_dominates: feasible beats infeasible, smaller total violation wins
/// between infeasible ones, Pareto dominance between feasible ones; a member without
/// constraint values loses to one with them.
bool ga_constrained_dominates(const GaMember& a, const GaMember& b);

/// Fronts of fast non-dominated sorting, as positions into `pop`, in the exact order Optuna's
/// pop-and-swap loop produces (it matters for crowding-distance ties).
std::vector<std::vector<int>> ga_fast_non_dominated_sort(const std::vector<GaMember>& pop,
                                                         bool constrained);

/// Crowding distance of each member of `front` (positions into `pop`), Optuna's rule: per
/// objective, (next − previous) / (max − min of finite values) with ±inf virtual neighbours at
/// the ends and inf − inf = 0; objectives where all values are equal are skipped.
/// `front` is re-ordered in place exactly as Optuna's in-place sorts leave it.
std::vector<double> ga_crowding_distance(const std::vector<GaMember>& pop, std::vector<int>& front);

/// NSGA-II elite selection of `population_size` members out of `pop`.
std::vector<int> nsga2_select(const std::vector<GaMember>& pop, int population_size,
                              bool constrained);

/// Das–Dennis points: every vector of `n_objectives` non-negative integers summing to
/// `dividing_parameter` (as floats), in itertools.combinations_with_replacement order.
std::vector<std::vector<double>> das_dennis_points(int n_objectives, int dividing_parameter);

/// NSGA-III elite selection; `reference_points` empty → Das–Dennis(M, dividing_parameter).
std::vector<int> nsga3_select(const std::vector<GaMember>& pop, int population_size,
                              bool constrained,
                              const std::vector<std::vector<double>>& reference_points,
                              int dividing_parameter, Rng& rng);

}  // namespace chop::search::samplers
