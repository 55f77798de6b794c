// A random forest of regression trees as scikit-learn's RandomForestRegressor builds it with
// Optuna's fANOVA settings: bootstrap samples, CART splits minimising squared error over every
// feature (in a random order per node), thresholds midway between neighbouring values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace chop::report {

struct TreeNode {
  int feature = -1;        // -1: leaf
  double threshold = 0.0;  // x[feature] <= threshold goes left
  int left = -1, right = -1;
  double value = 0.0;  // mean target of the node's (bootstrap-weighted) samples
};

struct RegressionTree {
  std::vector<TreeNode> nodes;  // nodes[0] is the root; children follow their parent
  double predict(const double* x) const;
};

struct ForestOptions {
  int n_trees = 64;
  int max_depth = 64;
  int min_samples_split = 2;
  int min_samples_leaf = 1;
  uint64_t seed = 0;
};

/// `x` is row-major (n_rows x n_features); `y` has n_rows values. Deterministic for a seed.
std::vector<RegressionTree> fit_random_forest(const std::vector<double>& x, size_t n_features,
                                              const std::vector<double>& y,
                                              const ForestOptions& options);

}  // namespace chop::report
