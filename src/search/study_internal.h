// Study internals shared by study*.cpp: the per-trial record, the trial context behind a Trial
// handle, attribute names and the configuration hash used for duplicate reuse.
#pragma once

#include <cstring>
#include <map>
#include <memory>
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

// Order-independent hash of a configuration (names and internal values).
inline uint64_t config_hash(const std::map<std::string, double>& params) {
  uint64_t h = params.size();
  for (const auto& [name, v] : params) {
    double x = v == 0.0 ? 0.0 : v;  // -0 == +0
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    uint64_t s = stable_hash(name) ^ (bits * 0x9E3779B97F4A7C15ULL);
    h += splitmix64(s);
  }
  return h;
}

}  // namespace chop::search
