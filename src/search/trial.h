// Trials: their states, the immutable record a study keeps (FrozenTrial), and the Trial handle an
// objective uses to suggest parameters, report intermediate values and ask whether to prune.
#pragma once

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "search/distribution.h"

namespace chop::search {

/// Values match Optuna's (and are stored by name in SQLite, as Optuna does).
enum class TrialState { kRunning = 0, kComplete = 1, kPruned = 2, kFail = 3, kWaiting = 4 };

/// "RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING".
const char* to_string(TrialState s);
/// Inverse of to_string (case-insensitive); throws UserError otherwise.
TrialState parse_trial_state(const std::string& s);
/// COMPLETE, PRUNED or FAIL.
inline bool is_finished(TrialState s) {
  return s == TrialState::kComplete || s == TrialState::kPruned || s == TrialState::kFail;
}

/// Milliseconds since the Unix epoch (what MASE's log.json shows); 0 = unset.
int64_t now_ms();

/// Everything a study knows about one trial. Finished trials are never modified again.
struct FrozenTrial {
  int64_t number = -1;    // 0-based position in the study
  int64_t trial_id = -1;  // storage key (unique across studies of one storage)
  TrialState state = TrialState::kRunning;
  std::map<std::string, double> params;  // internal values (categorical -> index)
  std::map<std::string, Distribution> distributions;
  std::vector<double> values;                     // one per objective once COMPLETE
  std::map<int64_t, double> intermediate_values;  // step -> value (first report per step)
  Json user_attrs = Json::object();
  Json system_attrs = Json::object();
  int64_t datetime_start_ms = 0;
  int64_t datetime_complete_ms = 0;

  /// External value of a parameter (choice, integer or float); throws UserError if absent.
  Json param(const std::string& name) const;
  /// All parameters as {name: external value}, in name order.
  Json params_json() const;
  /// The single objective value; throws UserError if the trial has none or several.
  double value() const;
  /// Largest reported step, if any.
  std::optional<int64_t> last_step() const;
  /// Duration in ms (0 while unfinished).
  int64_t duration_ms() const {
    return datetime_complete_ms > 0 ? datetime_complete_ms - datetime_start_ms : 0;
  }
};

/// Thrown by an objective (or by Trial::prune_if_needed) to end a trial as PRUNED.
class TrialPruned : public std::exception {
 public:
  const char* what() const noexcept override { return "trial pruned"; }
};

class Study;
struct TrialContext;  // study-internal per-trial state (relative sample, history view)

/// Handle given to objectives. Cheap to copy; all copies refer to the same running trial. Use a
/// trial from one thread at a time. Suggest resolution order (as Optuna): value already set in
/// this trial -> enqueued fixed value -> single-valued distribution -> the sampler's relative
/// sample -> the sampler's sample_independent.
class Trial {
 public:
  Trial() = default;
  Trial(Study* study, std::shared_ptr<TrialContext> ctx);

  int64_t number() const;
  Study& study() const { return *study_; }

  /// Returns one of `choices` (as JSON). Re-suggesting a name returns the stored value.
  Json suggest_categorical(const std::string& name, const std::vector<Json>& choices);
  int64_t suggest_int(const std::string& name, int64_t low, int64_t high, int64_t step = 1,
                      bool log = false);
  double suggest_float(const std::string& name, double low, double high,
                       std::optional<double> step = {}, bool log = false);
  /// Generic form: returns the internal value (categorical -> index).
  double suggest(const std::string& name, const Distribution& dist);

  /// Records an intermediate value; only the first report of a step is kept (as Optuna).
  void report(int64_t step, double value);
  /// Asks the study's pruner; true means the objective should stop (throw TrialPruned).
  bool should_prune();
  /// Hardware-aware multi-objective pruning: objective values that are exact before the trial
  /// finishes (e.g. BitOPs, model size), by objective index. Used by DominancePruner.
  void set_exact_objectives(const std::map<int, double>& values_by_objective);

  void set_user_attr(const std::string& key, const Json& value);
  void set_system_attr(const std::string& key, const Json& value);

  /// Snapshot of the trial as it is now.
  FrozenTrial frozen() const;
  /// Internal params suggested so far.
  const std::map<std::string, double>& params() const;

  /// For an objective that asks repeat_of() after its suggests: a suggest that completes a
  /// finished trial's configuration then returns normally instead of throwing
  /// DuplicateConfiguration (an exception per repeat cost ~2 % of a PTQ loop). Once repeat_of()
  /// is set, the objective should return; its values are ignored and the trial reuses the
  /// earlier result, and any further suggest, report, prune question or attribute throws
  /// DuplicateConfiguration as before.
  void set_repeat_by_return(bool on);
  /// The earlier trial whose configuration this one repeats, when set_repeat_by_return is on.
  std::optional<int64_t> repeat_of() const;

 private:
  friend class Study;
  Study* study_ = nullptr;
  std::shared_ptr<TrialContext> ctx_;
};

}  // namespace chop::search
