// fANOVA (Hutter, Hoos and Leyton-Brown, ICML 2014) on the trees of a random forest, as Optuna's
// FanovaImportanceEvaluator computes it: per tree, the variance of the marginal prediction over
// a group of features divided by the tree's total variance over the search box; averaged over
// the trees whose variance is not zero.
#pragma once

#include <utility>
#include <vector>

#include "report/random_forest.h"

namespace chop::report {

class FanovaTree {
 public:
  /// `bounds[f]` = {low, high} of feature f (the search box the marginals integrate over).
  FanovaTree(const RegressionTree& tree, const std::vector<std::pair<double, double>>& bounds);

  /// Variance of the tree's prediction over the box (uniform measure).
  double variance() const { return variance_; }
  /// Variance of the marginal prediction of the feature group `features` (e.g. the one-hot
  /// columns of one categorical parameter), integrating out every other feature.
  double marginal_variance(const std::vector<int>& features) const;

 private:
  struct Stat {
    double value;   // mean prediction over the node's box
    double weight;  // the box's volume
  };
  // Mean prediction and volume over the other features at `point` (NaN = marginalised).
  std::pair<double, double> marginal_at(const std::vector<double>& point,
                                        const std::vector<bool>& active) const;

  const RegressionTree& tree_;
  std::vector<std::pair<double, double>> bounds_;
  std::vector<Stat> stats_;
  std::vector<std::vector<bool>> subtree_features_;     // per node: features split on below it
  std::vector<std::vector<double>> midpoints_, sizes_;  // per feature: intervals between splits
  double variance_ = 0.0;
};

/// Importance of each feature group: mean over trees (with non-zero variance) of marginal
/// variance / tree variance; NOT normalised. Empty when every tree has zero variance.
std::vector<double> fanova_importances(const std::vector<RegressionTree>& forest,
                                       const std::vector<std::pair<double, double>>& bounds,
                                       const std::vector<std::vector<int>>& groups);

}  // namespace chop::report
