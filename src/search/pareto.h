// Multi-objective utilities on loss vectors (every objective minimised; flip maximised ones with
// to_losses): dominance, Pareto front, non-dominated sorting, exact hypervolume (2-D sweep, WFG
// for 3+ objectives) and per-point exclusive contributions.
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

#include "search/study_view.h"
#include "search/trial.h"

namespace chop::search {

using Point = std::vector<double>;

/// a dominates b: a <= b everywhere and a < b somewhere (NaN counts as +inf).
bool dominates(const Point& a, const Point& b);

/// Loss vector of a trial: values[i] * loss_sign(directions[i]); NaN -> +inf.
Point to_loss(const FrozenTrial& t, const std::vector<Direction>& directions);
std::vector<Point> to_losses(const std::vector<const FrozenTrial*>& trials,
                             const std::vector<Direction>& directions);

/// Indices of non-dominated points, ascending. Duplicates of a front point are all kept
/// (as Optuna's best_trials).
std::vector<size_t> pareto_front_indices(const std::vector<Point>& points);

/// Fronts of fast non-dominated sorting: fronts[0] is the Pareto front, each front ascending by
/// index. Stops once at least `n_needed` points are ranked (the rest are left out).
std::vector<std::vector<size_t>> non_dominated_fronts(
    const std::vector<Point>& points, size_t n_needed = std::numeric_limits<size_t>::max());

/// Rank (0 = Pareto front) of every point; points beyond `n_needed` get rank -1.
std::vector<int> non_dominated_ranks(const std::vector<Point>& points,
                                     size_t n_needed = std::numeric_limits<size_t>::max());

/// Exact hypervolume dominated by `points` and bounded by `ref` (minimisation). Points that do
/// not strictly dominate ref in every coordinate contribute only their clipped box (a point
/// with a coordinate >= ref contributes 0). Any dimension >= 1; exponential worst case in the
/// number of objectives (fine for 2-4 objectives and fronts of a few hundred points).
double hypervolume(const std::vector<Point>& points, const Point& ref);

/// HV(S) - HV(S \ {i}) for every point i.
std::vector<double> hypervolume_contributions(const std::vector<Point>& points, const Point& ref);

}  // namespace chop::search
