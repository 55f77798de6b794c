// Study internals shared by study*.cpp: the per-trial record, the trial context behind a Trial
// handle and attribute names.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "search/rng.h"
#include "search/study.h"

namespace chop::search {

struct Study::Record {
  FrozenTrial t;
  // Decided at ask time, in trial-number order, so views may show them deterministically.
  std::map<std::string, double> planned;  // relative sample
  ParamSpace planned_space;               // its distributions
  Json planned_attrs = Json::object();    // system attrs after the sampler's before_trial
  bool ours = false;                      // run by this Study object
  std::string config_text;  // Study::config_text of a finished trial (empty until finished)
};

struct TrialContext {
  Study* study = nullptr;
  void* record = nullptr;  // Study::Record*
  int64_t number = -1;
  std::shared_ptr<StudyView> view;
  ParamSpace relative_space;
  std::map<std::string, double> relative;
  Json fixed_params = Json::object();
  bool reuse_duplicates = false;
  bool finished = false;
  /// Suggested params not yet written: published at the next attribute write when other
  /// processes share the study, so their samplers see this running trial (constant liar).
  bool params_unpublished = false;
  /// The configuration was claimed (or needs no claim) since the last suggest.
  bool config_settled = false;
  /// config_text of the trial as check_duplicate last built it, valid until a param or
  /// attribute changes (claim_config's key then needs no second build).
  std::string config_text;
  bool config_text_valid = false;
  /// Trial::set_repeat_by_return: a repeated configuration is recorded in repeat_of, not thrown.
  bool repeat_by_return = false;
  std::optional<int64_t> repeat_of;
};

/// A write found the trial finished by another worker (e.g. failed as stale while this worker
/// was cut off): the trial is theirs now; optimize() goes on with the next one.
class TrialFinishedElsewhere : public RunError {
 public:
  using RunError::RunError;
};

inline constexpr const char* kWorkerAttr = "chop:worker";
inline constexpr const char* kReusedAttr = "reused_from";
inline constexpr const char* kFixedAttr = "fixed_params";
inline constexpr const char* kExactAttr = "exact_objectives";

}  // namespace chop::search
