// What a sampler or pruner sees of a study while it decides for one trial: directions and the
// trial history up to that trial's "horizon" (see docs/search-engine.md, determinism rule).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "search/distribution.h"
#include "search/trial.h"

namespace chop::search {

enum class Direction { kMinimize, kMaximize };

/// "minimize"/"maximize" (any case, also "min"/"max"); throws UserError otherwise.
Direction parse_direction(const std::string& s);
const char* to_string(Direction d);

/// Immutable snapshot of a study's history, built when a trial is asked. `trials` is ordered by
/// number and holds every trial numbered below the asking trial that is visible under the
/// determinism rule: finished trials (immutable, shared with the study) and in-flight trials as
/// copies that carry only their deterministically planned params (relative sample + enqueued
/// fixed params). Nothing in a view changes after it is built.
class StudyView {
 public:
  std::string study_name;
  std::vector<Direction> directions;
  uint64_t seed = 0;
  /// The asking trial's number (the view holds only smaller numbers).
  int64_t number = 0;
  /// Optional search space declared up front by the caller (Study::declare_search_space); empty
  /// when the space is define-by-run only. Finite-space samplers use it from trial 0.
  ParamSpace declared_space;
  /// Ordered by number; pointers stay valid for the lifetime of the view.
  std::vector<const FrozenTrial*> trials;

  bool multi_objective() const { return directions.size() > 1; }
  size_t n_objectives() const { return directions.size(); }
  /// Trials in any of `states`, in number order.
  std::vector<const FrozenTrial*> trials_in(std::initializer_list<TrialState> states) const;
  size_t count_in(std::initializer_list<TrialState> states) const;
  /// Keeps in-flight snapshots alive (owned copies that `trials` may point to).
  std::vector<std::unique_ptr<FrozenTrial>> owned;
};

/// Sign that turns an objective into "smaller is better": +1 minimize, -1 maximize.
inline double loss_sign(Direction d) {
  return d == Direction::kMinimize ? 1.0 : -1.0;
}

}  // namespace chop::search
