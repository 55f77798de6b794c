// TPE's below/above split and MOTPE weights; see tpe_split.h. Mirrors
// optuna/samplers/_tpe/sampler.py (3.1): _split_observation_pairs,
// _calculate_weights_below_for_multi_objective and optuna/_hypervolume/hssp.py.
#include "search/samplers/tpe_split.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "search/pareto.h"

namespace chop::search::samplers {
namespace {

constexpr double kEps = 1e-12;

// numpy's structured (step, score) comparison: NaN sorts last.
bool key_less(const TpeTrialKey& a, const TpeTrialKey& b) {
  if (a.step_key != b.step_key) return a.step_key < b.step_key;
  const double x = a.losses.empty() ? 0.0 : a.losses[0];
  const double y = b.losses.empty() ? 0.0 : b.losses[0];
  if (std::isnan(y)) return !std::isnan(x);
  return x < y;
}

std::vector<double> reference_point(const std::vector<std::vector<double>>& pts) {
  std::vector<double> ref(pts[0].size(), -std::numeric_limits<double>::infinity());
  for (const auto& p : pts)
    for (size_t m = 0; m < p.size(); ++m) ref[m] = std::max(ref[m], p[m]);
  for (auto& r : ref) {
    r = std::max(1.1 * r, 0.9 * r);
    if (r == 0) r = kEps;
  }
  return ref;
}

TpeSplit split_single(const std::vector<TpeTrialKey>& keys, const std::vector<int>& subset,
                      int n_below) {
  // Optuna takes the first n_below of a stable argsort; selecting the n_below smallest by
  // (key, index) and sorting only those gives the same set in O(N).
  std::vector<int> order(subset);
  const size_t nb = std::min(order.size(), static_cast<size_t>(std::max(n_below, 0)));
  auto less = [&](int a, int b) {
    if (key_less(keys[a], keys[b])) return true;
    if (key_less(keys[b], keys[a])) return false;
    return a < b;
  };
  if (nb < order.size()) std::nth_element(order.begin(), order.begin() + nb, order.end(), less);
  TpeSplit s;
  s.below.assign(order.begin(), order.begin() + static_cast<long>(nb));
  std::sort(s.below.begin(), s.below.end());
  // Above = the rest, in index order (a scan is cheaper than sorting ~N indices).
  std::vector<char> is_below(keys.size(), 0);
  for (int i : s.below) is_below[i] = 1;
  s.above.reserve(order.size() - nb);
  for (int i : subset)
    if (!is_below[i]) s.above.push_back(i);
  return s;
}

TpeSplit split_multi(const std::vector<TpeTrialKey>& keys, int n_below) {
  const int n = static_cast<int>(keys.size());
  CHOP_ASSERT(n_below >= 0 && n_below <= n, "MOTPE: n_below out of range");
  std::vector<Point> pts;
  pts.reserve(n);
  for (const auto& k : keys) pts.push_back(k.losses.to_vector());
  const auto fronts = non_dominated_fronts(pts, static_cast<size_t>(n_below));
  TpeSplit s;
  for (const auto& front : fronts) {
    if (static_cast<int>(s.below.size()) >= n_below) break;
    if (s.below.size() + front.size() <= static_cast<size_t>(n_below)) {
      for (size_t i : front) s.below.push_back(static_cast<int>(i));
      continue;
    }
    // The overflowing front: greedy hypervolume subset selection on it.
    std::vector<std::vector<double>> front_pts;
    for (size_t i : front) front_pts.push_back(pts[i]);
    const int k = n_below - static_cast<int>(s.below.size());
    for (int pos : greedy_hssp(front_pts, k, reference_point(front_pts)))
      s.below.push_back(static_cast<int>(front[pos]));
    break;
  }
  std::vector<char> in_below(n, 0);
  for (int i : s.below) in_below[i] = 1;
  for (int i = 0; i < n; ++i)
    if (!in_below[i]) s.above.push_back(i);
  return s;
}

}  // namespace

std::vector<int> greedy_hssp(const std::vector<std::vector<double>>& points, int k,
                             const std::vector<double>& ref) {
  const int n = static_cast<int>(points.size());
  std::vector<double> contrib(n);
  for (int i = 0; i < n; ++i) contrib[i] = hypervolume({points[i]}, ref);
  std::vector<int> selected;
  std::vector<Point> selected_pts;
  double hv_selected = 0.0;
  while (static_cast<int>(selected.size()) < k) {
    const int best =
        static_cast<int>(std::max_element(contrib.begin(), contrib.end()) - contrib.begin());
    contrib[best] = -1;  // marks "selected"
    // Remaining contributions lose the part shared with the newly selected point.
    for (int j = 0; j < n; ++j) {
      if (contrib[j] == -1) continue;
      Point p(points[j].size());
      for (size_t m = 0; m < p.size(); ++m) p[m] = std::max(points[best][m], points[j][m]);
      selected_pts.push_back(std::move(p));
      contrib[j] -= hypervolume(selected_pts, ref) - hv_selected;
      selected_pts.pop_back();
    }
    selected.push_back(best);
    selected_pts.push_back(points[best]);
    hv_selected = hypervolume(selected_pts, ref);
  }
  return selected;
}

TpeSplit split_trials(const std::vector<TpeTrialKey>& keys, int n_below, bool use_violations) {
  const int n = static_cast<int>(keys.size());
  if (use_violations) {
    std::vector<int> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(),
                     [&](int a, int b) { return keys[a].violation < keys[b].violation; });
    TpeSplit s;
    if (n_below >= n || keys[idx[n_below]].violation > 0) {
      // Below = every feasible trial plus the least violating infeasible ones.
      s.below.assign(idx.begin(), idx.begin() + std::min(n_below, n));
      s.above.assign(idx.begin() + std::min(n_below, n), idx.end());
    } else {
      std::vector<int> feasible, infeasible;
      for (int i = 0; i < n; ++i) (keys[i].violation == 0 ? feasible : infeasible).push_back(i);
      std::vector<TpeTrialKey> sub;
      for (int i : feasible) sub.push_back(keys[i]);
      const TpeSplit fs = split_trials(sub, n_below, false);
      for (int i : fs.below) s.below.push_back(feasible[i]);
      for (int i : fs.above) s.above.push_back(feasible[i]);
      s.above.insert(s.above.end(), infeasible.begin(), infeasible.end());
    }
    std::sort(s.below.begin(), s.below.end());
    std::sort(s.above.begin(), s.above.end());
    return s;
  }
  const size_t n_objectives = keys.empty() ? 1 : keys[0].losses.size();
  if (n_objectives <= 1) {
    std::vector<int> all(n);
    std::iota(all.begin(), all.end(), 0);
    return split_single(keys, all, n_below);
  }
  return split_multi(keys, n_below);
}

std::vector<double> mo_below_weights(const std::vector<TpeTrialKey>& keys,
                                     const std::vector<int>& below, bool use_violations) {
  std::vector<double> weights(below.size(), kEps);
  std::vector<int> feasible;  // positions in `below`
  for (size_t j = 0; j < below.size(); ++j)
    if (!use_violations || keys[below[j]].violation == 0) feasible.push_back(static_cast<int>(j));
  if (feasible.empty()) return weights;
  if (feasible.size() == 1) {
    weights[feasible[0]] = 1.0;
    return weights;
  }
  std::vector<Point> pts;
  for (int j : feasible) pts.push_back(keys[below[j]].losses.to_vector());
  const std::vector<double> contrib = hypervolume_contributions(pts, reference_point(pts));
  double max_c = 0.0;
  for (double c : contrib) max_c = std::max(max_c, c + kEps);
  for (size_t f = 0; f < feasible.size(); ++f)
    weights[feasible[f]] = std::min(std::max((contrib[f] + kEps) / max_c, 0.0), 1.0);
  return weights;
}

}  // namespace chop::search::samplers
