// Parameter importance of a study, per objective: fANOVA over a random forest, computed the way
// Optuna's FanovaImportanceEvaluator does (64 trees, depth 64, categorical parameters one-hot,
// numeric ones on their own scale, importances normalised to sum to 1). docs/report.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "report/study_data.h"

namespace chop::report {

struct ImportanceOptions {
  int n_trees = 64;
  int max_depth = 64;
  uint64_t seed = 0;  // the forest's bootstrap and feature order
};

struct ParamImportance {
  std::string param;
  double importance = 0.0;  // share of the explained variance, in [0, 1]
};

struct ObjectiveImportance {
  std::string objective;
  std::vector<ParamImportance> params;  // descending; empty when it cannot be assessed
  size_t n_trials = 0;                  // complete trials the forest was fitted on
  std::string note;                     // why `params` is empty, or ""
};

/// Importance of the parameters every complete trial shares (same distribution), for the
/// target `target(trial)` over the complete trials whose target is finite.
ObjectiveImportance param_importance(
    const std::vector<search::FrozenTrial>& trials,
    const std::function<double(const search::FrozenTrial&)>& target,
    const ImportanceOptions& options = {});

/// One entry per objective of the study.
std::vector<ObjectiveImportance> study_importances(const StudyData& study,
                                                   const ImportanceOptions& options = {});

}  // namespace chop::report
