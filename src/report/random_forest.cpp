// CART regression trees on bootstrap samples; see random_forest.h.
#include "report/random_forest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "search/rng.h"

namespace chop::report {
namespace {

// Features closer than this are treated as equal (scikit-learn's FEATURE_THRESHOLD).
constexpr double kFeatureThreshold = 1e-7;

struct Sample {
  size_t row;
  double weight;  // bootstrap multiplicity
};

class TreeBuilder {
 public:
  TreeBuilder(const std::vector<double>& x, size_t d, const std::vector<double>& y,
              const ForestOptions& o, search::Rng& rng)
      : x_(x), d_(d), y_(y), o_(o), rng_(rng) {}

  RegressionTree build(std::vector<Sample> samples) {
    RegressionTree tree;
    grow(tree, samples, 0, samples.size(), 0);
    return tree;
  }

 private:
  double at(size_t row, size_t f) const { return x_[row * d_ + f]; }

  int grow(RegressionTree& tree, std::vector<Sample>& s, size_t begin, size_t end, int depth) {
    const int id = static_cast<int>(tree.nodes.size());
    tree.nodes.emplace_back();
    double w = 0, sum = 0, sum_sq = 0;
    for (size_t i = begin; i < end; ++i) {
      const double v = y_[s[i].row];
      w += s[i].weight;
      sum += s[i].weight * v;
      sum_sq += s[i].weight * v * v;
    }
    const double mean = sum / w;
    tree.nodes[id].value = mean;
    const double impurity = sum_sq / w - mean * mean;
    const size_t n = end - begin;
    if (depth >= o_.max_depth || n < static_cast<size_t>(o_.min_samples_split) ||
        n < 2 * static_cast<size_t>(o_.min_samples_leaf) ||
        impurity <= std::numeric_limits<double>::epsilon())
      return id;

    // Best split over every feature, visited in a random order (ties keep the first found).
    std::vector<size_t> features(d_);
    std::iota(features.begin(), features.end(), 0);
    search::shuffle(features, rng_);
    int best_feature = -1;
    double best_proxy = -INFINITY, best_threshold = 0;
    std::vector<Sample> sorted(s.begin() + static_cast<long>(begin),
                               s.begin() + static_cast<long>(end));
    for (size_t f : features) {
      std::sort(sorted.begin(), sorted.end(),
                [&](const Sample& a, const Sample& b) { return at(a.row, f) < at(b.row, f); });
      if (at(sorted.back().row, f) <= at(sorted.front().row, f) + kFeatureThreshold) continue;
      double wl = 0, sl = 0;
      for (size_t i = 0; i + 1 < n; ++i) {
        wl += sorted[i].weight;
        sl += sorted[i].weight * y_[sorted[i].row];
        const double a = at(sorted[i].row, f), b = at(sorted[i + 1].row, f);
        if (b <= a + kFeatureThreshold) continue;
        if (i + 1 < static_cast<size_t>(o_.min_samples_leaf) ||
            n - i - 1 < static_cast<size_t>(o_.min_samples_leaf))
          continue;
        const double wr = w - wl, sr = sum - sl;
        // Maximising this minimises the children's weighted squared error.
        const double proxy = sl * sl / wl + sr * sr / wr;
        if (proxy > best_proxy) {
          best_proxy = proxy;
          best_feature = static_cast<int>(f);
          double t = 0.5 * (a + b);
          if (t >= b || !std::isfinite(t)) t = a;
          best_threshold = t;
        }
      }
    }
    if (best_feature < 0) return id;
    // The split must reduce the error (no gain: a leaf, as scikit-learn's impurity check).
    if (best_proxy <= sum * sum / w + 1e-12 * std::abs(sum * sum / w)) return id;

    const auto f = static_cast<size_t>(best_feature);
    auto mid =
        std::partition(s.begin() + static_cast<long>(begin), s.begin() + static_cast<long>(end),
                       [&](const Sample& a) { return at(a.row, f) <= best_threshold; });
    const size_t split = static_cast<size_t>(mid - s.begin());
    CHOP_ASSERT(split > begin && split < end, "random forest split left a side empty");
    tree.nodes[id].feature = best_feature;
    tree.nodes[id].threshold = best_threshold;
    const int left = grow(tree, s, begin, split, depth + 1);
    const int right = grow(tree, s, split, end, depth + 1);
    tree.nodes[id].left = left;
    tree.nodes[id].right = right;
    return id;
  }

  const std::vector<double>& x_;
  size_t d_;
  const std::vector<double>& y_;
  const ForestOptions& o_;
  search::Rng& rng_;
};

}  // namespace

double RegressionTree::predict(const double* x) const {
  int id = 0;
  while (nodes[static_cast<size_t>(id)].feature >= 0) {
    const TreeNode& n = nodes[static_cast<size_t>(id)];
    id = x[n.feature] <= n.threshold ? n.left : n.right;
  }
  return nodes[static_cast<size_t>(id)].value;
}

std::vector<RegressionTree> fit_random_forest(const std::vector<double>& x, size_t n_features,
                                              const std::vector<double>& y,
                                              const ForestOptions& options) {
  const size_t n = y.size();
  CHOP_ASSERT(n > 0 && x.size() == n * n_features, "random forest: x and y sizes differ");
  std::vector<RegressionTree> forest;
  forest.reserve(static_cast<size_t>(options.n_trees));
  for (int t = 0; t < options.n_trees; ++t) {
    search::Rng rng(search::mix_seed(options.seed, static_cast<uint64_t>(t), 0xF0BE57ULL));
    std::vector<double> counts(n, 0.0);
    for (size_t i = 0; i < n; ++i) counts[rng.below(n)] += 1.0;
    std::vector<Sample> samples;
    for (size_t i = 0; i < n; ++i)
      if (counts[i] > 0) samples.push_back({i, counts[i]});
    TreeBuilder builder(x, n_features, y, options, rng);
    forest.push_back(builder.build(std::move(samples)));
  }
  return forest;
}

}  // namespace chop::report
