// Incremental view of a study's history for TPE: finished trials are immutable, so their
// parameter values, sort orders and search-space signatures are recorded once and reused by
// every later suggestion. Per suggestion only O(N) index work remains (no map lookups, no sort).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "search/distribution.h"
#include "search/samplers/tpe.h"
#include "search/study_view.h"

namespace chop::search::samplers {

/// What TPE derived from one StudyView: the history keys, their split, and index maps.
struct TpeViewState {
  TpeHistory history;
  TpePrepared prepared;
  std::vector<const FrozenTrial*> key_trial;  // the view's trial behind each key
  std::vector<int64_t> key_number;            // its trial number
  std::vector<char> key_finished;             // COMPLETE/PRUNED (values from the cache)
  std::vector<int> key_of_trial;              // by trial number (< view.number); −1: not a key
  std::vector<int> finished_space_ids;        // distinct space ids of COMPLETE/PRUNED trials
};

class TpeHistoryCache {
 public:
  /// `constraints`: read each trial's "constraints" system attr (Optuna's key).
  TpeHistoryCache(const TpeEngine& engine, bool constant_liar, bool constraints)
      : engine_(engine), constant_liar_(constant_liar), constraints_(constraints) {}

  /// The state for `view`, computed on first use and cached for the trial's later parameters.
  const TpeViewState& state_for(const StudyView& view);

  /// Column of `name` over the keys of `st` (NaN where absent) and, for numeric parameters,
  /// the keys holding a value in ascending value order. Buffers are owned by the cache.
  void column(const TpeViewState& st, const std::string& name, bool want_sorted,
              std::vector<double>& values, std::vector<int>& sorted_keys);

  /// Intersection of the distributions of every COMPLETE/PRUNED trial in `st` (Optuna's
  /// IntersectionSearchSpace(include_pruned=True)), single-valued ones dropped.
  ParamSpace intersection(const TpeViewState& st) const;
  /// Optuna's group decomposition over the same trials: groups of names that every trial
  /// holds either all or none of (first-seen distributions), single-valued ones dropped.
  std::vector<ParamSpace> groups(const TpeViewState& st) const;

 private:
  struct ParamCache {
    std::vector<double> by_trial;  // internal value by trial number (NaN: absent/unknown)
    std::vector<int64_t> sorted;   // recorded trial numbers holding it, by (value, number)
  };
  void reset(const std::string& study_name);
  void record(const FrozenTrial& t);
  int intern_space(const ParamSpace& space);
  TpeTrialKey key_of(const FrozenTrial& t, const StudyView& view, bool& usable,
                     bool& finished) const;

  const TpeEngine& engine_;
  bool constant_liar_;
  bool constraints_;
  std::string study_name_;
  std::vector<char> recorded_;          // by trial number
  std::vector<int> space_id_;           // by trial number (−1: unknown)
  std::vector<TpeTrialKey> key_cache_;  // by trial number, for finished trials
  std::vector<char> key_cached_;        // 0: not yet, 1: usable key, 2: not a key
  std::vector<ParamSpace> spaces_;
  std::map<std::string, ParamCache> params_;
  // Small LRU of view states: concurrent trials each keep theirs while their params are drawn.
  struct Entry {
    int64_t number;
    size_t n_trials;
    std::unique_ptr<TpeViewState> state;
  };
  std::vector<Entry> states_;
  uint64_t tick_ = 0;
};

}  // namespace chop::search::samplers
