// fANOVA marginals on regression trees; see fanova.h.
#include "report/fanova.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"

namespace chop::report {
namespace {

using Box = std::vector<std::pair<double, double>>;

double volume(const Box& box) {
  double v = 1.0;
  for (const auto& [lo, hi] : box) v *= hi - lo;
  return v;
}

// Weighted variance of `values`.
double weighted_variance(const std::vector<double>& values, const std::vector<double>& weights) {
  double w = 0, m = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    w += weights[i];
    m += weights[i] * values[i];
  }
  if (w <= 0) return 0.0;
  m /= w;
  double v = 0;
  for (size_t i = 0; i < values.size(); ++i) v += weights[i] * (values[i] - m) * (values[i] - m);
  return v / w;
}

}  // namespace

FanovaTree::FanovaTree(const RegressionTree& tree, const Box& bounds)
    : tree_(tree), bounds_(bounds) {
  const size_t n_nodes = tree.nodes.size();
  const size_t d = bounds.size();
  stats_.assign(n_nodes, {0.0, 0.0});
  // Boxes top-down (children are created after their parent), then statistics bottom-up.
  std::vector<Box> boxes(n_nodes);
  boxes[0] = bounds;
  std::vector<std::set<double>> splits(d);
  for (size_t i = 0; i < n_nodes; ++i) {
    const TreeNode& n = tree.nodes[i];
    if (n.feature < 0) {
      stats_[i] = {n.value, volume(boxes[i])};
      continue;
    }
    const auto f = static_cast<size_t>(n.feature);
    splits[f].insert(n.threshold);
    boxes[static_cast<size_t>(n.left)] = boxes[i];
    boxes[static_cast<size_t>(n.left)][f].second = n.threshold;
    boxes[static_cast<size_t>(n.right)] = boxes[i];
    boxes[static_cast<size_t>(n.right)][f].first = n.threshold;
  }
  subtree_features_.assign(n_nodes, std::vector<bool>(d, false));
  for (size_t k = n_nodes; k-- > 0;) {
    const TreeNode& n = tree.nodes[k];
    if (n.feature < 0) continue;
    const Stat& l = stats_[static_cast<size_t>(n.left)];
    const Stat& r = stats_[static_cast<size_t>(n.right)];
    const double w = l.weight + r.weight;
    stats_[k] = {w > 0 ? (l.value * l.weight + r.value * r.weight) / w : 0.5 * (l.value + r.value),
                 w};
    subtree_features_[k][static_cast<size_t>(n.feature)] = true;
    for (size_t f = 0; f < d; ++f)
      if (subtree_features_[static_cast<size_t>(n.left)][f] ||
          subtree_features_[static_cast<size_t>(n.right)][f])
        subtree_features_[k][f] = true;
  }
  midpoints_.resize(d);
  sizes_.resize(d);
  for (size_t f = 0; f < d; ++f) {
    std::vector<double> edges{bounds[f].first};
    for (double t : splits[f]) edges.push_back(t);
    edges.push_back(bounds[f].second);
    for (size_t k = 0; k + 1 < edges.size(); ++k) {
      midpoints_[f].push_back(0.5 * (edges[k] + edges[k + 1]));
      sizes_[f].push_back(edges[k + 1] - edges[k]);
    }
  }
  std::vector<double> values, weights;
  for (size_t i = 0; i < n_nodes; ++i)
    if (tree.nodes[i].feature < 0) {
      values.push_back(stats_[i].value);
      weights.push_back(stats_[i].weight);
    }
  variance_ = weighted_variance(values, weights);
}

std::pair<double, double> FanovaTree::marginal_at(const std::vector<double>& point,
                                                  const std::vector<bool>& active) const {
  const size_t d = bounds_.size();
  // The box along the active features only (marginalised ones count as [0, 1]).
  Box start = bounds_;
  for (size_t f = 0; f < d; ++f)
    if (!active[f]) start[f] = {0.0, 1.0};
  std::vector<std::pair<int, Box>> stack{{0, start}};
  double sum = 0, weight = 0;
  while (!stack.empty()) {
    auto [id, box] = std::move(stack.back());
    stack.pop_back();
    const TreeNode& n = tree_.nodes[static_cast<size_t>(id)];
    if (n.feature >= 0) {
      const auto f = static_cast<size_t>(n.feature);
      if (active[f]) {
        // Follow the side the point is on, narrowing the box along that feature.
        if (point[f] <= n.threshold) {
          box[f].second = n.threshold;
          stack.emplace_back(n.left, std::move(box));
        } else {
          box[f].first = n.threshold;
          stack.emplace_back(n.right, std::move(box));
        }
        continue;
      }
      bool splits_active = false;
      for (size_t g = 0; g < d && !splits_active; ++g)
        splits_active = active[g] && subtree_features_[static_cast<size_t>(id)][g];
      if (splits_active) {
        stack.emplace_back(n.left, box);
        stack.emplace_back(n.right, std::move(box));
        continue;
      }
    }
    // A leaf, or a subtree that never splits on an active feature: its mean counts with the
    // volume it spans along the marginalised features.
    const Stat& s = stats_[static_cast<size_t>(id)];
    const double w = s.weight / volume(box);
    sum += s.value * w;
    weight += w;
  }
  return {weight > 0 ? sum / weight : 0.0, weight};
}

double FanovaTree::marginal_variance(const std::vector<int>& features) const {
  CHOP_ASSERT(!features.empty(), "fANOVA: empty feature group");
  const size_t d = bounds_.size();
  std::vector<bool> active(d, false);
  for (int f : features) active[static_cast<size_t>(f)] = true;
  std::vector<double> point(d, NAN);
  std::vector<double> values, weights;
  // Every combination of the group's intervals (an odometer over the features).
  std::vector<size_t> pos(features.size(), 0);
  while (true) {
    double size = 1.0;
    for (size_t k = 0; k < features.size(); ++k) {
      const auto f = static_cast<size_t>(features[k]);
      point[f] = midpoints_[f][pos[k]];
      size *= sizes_[f][pos[k]];
    }
    auto [value, weight] = marginal_at(point, active);
    values.push_back(value);
    weights.push_back(weight * size);
    size_t k = 0;
    for (; k < features.size(); ++k) {
      const auto f = static_cast<size_t>(features[k]);
      if (++pos[k] < midpoints_[f].size()) break;
      pos[k] = 0;
    }
    if (k == features.size()) break;
  }
  return std::max(0.0, weighted_variance(values, weights));
}

std::vector<double> fanova_importances(const std::vector<RegressionTree>& forest, const Box& bounds,
                                       const std::vector<std::vector<int>>& groups) {
  std::vector<double> sum(groups.size(), 0.0);
  size_t n_used = 0;
  for (const auto& tree : forest) {
    FanovaTree ft(tree, bounds);
    if (!(ft.variance() > 0.0)) continue;
    ++n_used;
    for (size_t g = 0; g < groups.size(); ++g)
      sum[g] += ft.marginal_variance(groups[g]) / ft.variance();
  }
  if (n_used == 0) return {};
  for (double& s : sum) s /= static_cast<double>(n_used);
  return sum;
}

}  // namespace chop::report
