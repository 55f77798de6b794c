// Study: one optimisation (one or more directions) over a storage, with ask/tell, enqueue,
// a threaded optimize loop, best trial(s), duplicate-configuration reuse and resume.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "search/distribution.h"
#include "search/pruner.h"
#include "search/sampler.h"
#include "search/storage.h"
#include "search/study_view.h"
#include "search/trial.h"

namespace chop::search {

struct StudyOptions {
  std::string name = "chop-study";
  std::vector<Direction> directions{Direction::kMinimize};
  std::shared_ptr<Storage> storage;  // null: a fresh in-memory storage
  std::shared_ptr<Sampler> sampler;  // null: RandomSampler(seed)
  std::shared_ptr<Pruner> pruner;    // null: NopPruner
  uint64_t seed = 0;                 // used only for the default sampler
  bool load_if_exists = true;        // resume a stored study of the same name
  /// Reuse the result of an identical finished configuration instead of evaluating it again
  /// (docs/search-engine.md, duplicate handling).
  bool reuse_duplicates = true;
  /// The configuration a trial's parameters stand for ({name: value}); repeats and
  /// configuration claims are matched on it, never on internal values or indices. Null: the
  /// parameters' external values (FrozenTrial::params_json). A search whose parameters are
  /// indices into choice lists maps them to the choices here.
  std::function<Json(const FrozenTrial&)> config_of;
  /// How many members config_of(t) has (it is an object), or nullopt when that is not known
  /// without building it. A trial mid-suggest builds its configuration text only when a
  /// finished trial's configuration has as many members (equal texts need equal counts). Null
  /// with config_of set: always built; null without config_of: the parameter count.
  std::function<std::optional<size_t>(const FrozenTrial&)> config_size_of;
  /// On load, RUNNING trials owned by a dead process on this host are marked FAIL; RUNNING
  /// trials of other hosts are failed when their last write is older than this (0: never).
  double stale_running_after_s = 0.0;
  /// Optuna's heartbeat semantics (0: off). While optimize() runs, each running trial of this
  /// process records a heartbeat every `heartbeat_interval_s` (by the storage's clock), and
  /// before each new trial RUNNING trials whose heartbeat is older than `grace_period_s`
  /// (0: 2 x interval) are marked FAIL — their worker was killed or cut off.
  double heartbeat_interval_s = 0.0;
  double grace_period_s = 0.0;
  /// Re-queue a trial failed that way (or failed on resume because its process ended) as a
  /// WAITING trial with the same parameters, up to this many times (Optuna's
  /// RetryFailedTrialCallback(max_retry)).
  int retry_failed = 0;
};

/// The objective: one value per direction. Throw TrialPruned to prune.
using Objective = std::function<std::vector<double>(Trial&)>;
/// Called after every finished trial (from the worker thread that ran it, serialised).
using TrialCallback = std::function<void(Study&, const FrozenTrial&)>;

struct OptimizeOptions {
  int64_t n_trials = -1;   // trials started by this call; -1: until timeout/stop/exhaustion
  double timeout_s = 0.0;  // 0: none; checked before starting each trial (as Optuna)
  int n_jobs = 1;          // worker threads; -1: hardware concurrency
  /// Stop creating trials once the STUDY holds this many that are not WAITING (-1: no limit;
  /// retries of failed trials come on top), checked atomically with each creation, so workers
  /// sharing a study stop at exactly this many (enqueued/retried WAITING trials are still run).
  int64_t max_trials_in_study = -1;
  bool catch_exceptions = true;  // an exception in the objective -> FAIL, go on; else rethrow
  std::vector<TrialCallback> callbacks;
};

struct OptimizeSummary {
  int64_t n_started = 0;  // trials this call ran (including reused duplicates)
  int64_t n_complete = 0;
  int64_t n_pruned = 0;
  int64_t n_failed = 0;
  int64_t n_reused = 0;     // duplicates answered from the cache
  bool exhausted = false;   // the sampler ran out of configurations
  bool study_full = false;  // max_trials_in_study reached
  bool timed_out = false;
  double elapsed_s = 0.0;
};

/// Thrown from a suggest_* call when the trial's configuration equals a finished trial's and
/// duplicate reuse is on; optimize() catches it and records the reuse. Objectives must not
/// swallow it (a catch (...) in an objective should rethrow it).
class DuplicateConfiguration : public std::exception {
 public:
  explicit DuplicateConfiguration(int64_t original) : original_(original) {}
  int64_t original() const { return original_; }
  const char* what() const noexcept override { return "duplicate configuration"; }

 private:
  int64_t original_;
};

struct TrialContext;

class Study {
 public:
  struct Record;  // study-internal trial record (search/study_internal.h)

  explicit Study(StudyOptions options);
  ~Study();
  Study(const Study&) = delete;
  Study& operator=(const Study&) = delete;

  const std::string& name() const { return options_.name; }
  const std::vector<Direction>& directions() const { return directions_; }
  bool multi_objective() const { return directions_.size() > 1; }
  Sampler& sampler() { return *sampler_; }
  Pruner& pruner() { return *pruner_; }
  Storage& storage() { return *storage_; }
  /// Trials marked FAIL by this Study's resume step (numbers).
  const std::vector<int64_t>& failed_on_resume() const { return failed_on_resume_; }

  /// Declares the full search space up front (optional). Finite-space samplers (bruteforce,
  /// grid, qmc) then work from trial 0 without learning the space from a first trial.
  void declare_search_space(const ParamSpace& space);

  // ---- ask / tell --------------------------------------------------------------------------
  /// Starts a trial (pops an enqueued WAITING trial first). `horizon`: trials numbered at or
  /// above number - horizon are shown to the sampler only as planned params (0 = see all).
  Trial ask(int horizon = 0);
  /// Finishes trial `number` as COMPLETE with `values` (NaN/wrong arity -> FAIL with a warning,
  /// as Optuna), or with an explicit state (PRUNED takes the last intermediate value if none).
  FrozenTrial tell(int64_t number, const std::vector<double>& values);
  FrozenTrial tell(int64_t number, TrialState state, const std::vector<double>& values = {});
  /// Adds a WAITING trial whose params are fixed to `params` ({name: external value}).
  void enqueue_trial(const Json& params, const Json& user_attrs = Json::object(),
                     bool skip_if_exists = false);

  // ---- optimize ----------------------------------------------------------------------------
  OptimizeSummary optimize(const Objective& objective, const OptimizeOptions& opts);
  /// Ends optimize() after the running trials (thread-safe, callable from callbacks).
  void stop() { stop_requested_ = true; }

  // ---- results -----------------------------------------------------------------------------
  /// Copies, in number order; empty `states` = all. Pulls other processes' changes first.
  std::vector<FrozenTrial> trials(std::initializer_list<TrialState> states = {});
  size_t n_trials();
  FrozenTrial trial(int64_t number);
  /// Single objective only (UserError otherwise or with no COMPLETE trial).
  FrozenTrial best_trial();
  /// Pareto front of COMPLETE trials (for one objective: every trial with the best value).
  std::vector<FrozenTrial> best_trials();

  /// Re-reads trials changed by other processes sharing the storage.
  void sync();

  // ---- used by Trial (not for objectives) ---------------------------------------------------
  double suggest_for(TrialContext& ctx, const std::string& name, const Distribution& dist);
  void report_for(TrialContext& ctx, int64_t step, double value);
  bool should_prune_for(TrialContext& ctx);
  void set_attr_for(TrialContext& ctx, bool user, const std::string& key, const Json& value);
  FrozenTrial snapshot_for(const TrialContext& ctx);

 private:
  std::shared_ptr<StudyView> build_view(int64_t number, int horizon);
  std::shared_ptr<StudyView> build_live_view(int64_t exclude_number);
  void ingest_locked(std::vector<FrozenTrial>&& changed);
  void sync_locked();
  void index_state_locked(const Record& rec);
  void write_locked(Record& rec);
  /// A write found `rec` finished by another worker: adopts the stored trial and throws
  /// TrialFinishedElsewhere.
  [[noreturn]] void adopt_finished_elsewhere_locked(Record& rec);
  FrozenTrial finish(TrialContext& ctx, TrialState state, std::vector<double> values,
                     std::optional<int64_t> reused_from);
  void check_duplicate(TrialContext& ctx);
  /// The canonical text of config_of(t) (what repeats and claims compare).
  std::string config_text(const FrozenTrial& t) const;
  /// config_of(t)'s member count when known cheaply (StudyOptions::config_size_of).
  std::optional<size_t> config_size(const FrozenTrial& t) const;
  void index_finished_config_locked(Record& rec);
  void claim_config(TrialContext& ctx);
  void resume_fail_stale();
  /// nullopt: the sampler is exhausted, or (`*study_full` set) the study holds max_trials.
  std::optional<Trial> ask_impl(int horizon, bool stop_if_exhausted, int64_t max_trials = -1,
                                bool* study_full = nullptr);
  /// ask_impl for Sampler::claims_at_ask in a shared study (study_claiming_ask.cpp); `*decided`
  /// false: use the ordinary ask instead.
  std::optional<Trial> ask_claiming(int horizon, bool stop_if_exhausted, int64_t max_trials,
                                    bool* study_full, bool* decided);
  /// The storage key of a configuration's claim.
  std::string claim_key(const std::string& config_text) const;
  void fail_stale_heartbeats();
  bool others_unfinished();
  void heartbeat_loop();
  void enqueue_retry_locked(const FrozenTrial& failed);
  FrozenTrial tell_impl(TrialContext& ctx, TrialState state, const std::vector<double>& values);
  FrozenTrial run_one(Trial& trial, const Objective& objective, const OptimizeOptions& opts);
  FrozenTrial run_objective(Trial& trial, const Objective& objective, const OptimizeOptions& opts);

  StudyOptions options_;
  std::vector<Direction> directions_;
  std::shared_ptr<Storage> storage_;
  std::shared_ptr<Sampler> sampler_;
  std::shared_ptr<Pruner> pruner_;
  int64_t study_id_ = -1;
  ParamSpace declared_space_;
  std::vector<int64_t> failed_on_resume_;

  std::mutex mu_;               // guards records_, index maps, storage writes
  std::condition_variable cv_;  // signalled when a trial finishes
  std::mutex ask_mu_;           // serialises ask(): numbering + relative sampling in order
  std::mutex callback_mu_;      // serialises callbacks
  std::deque<std::unique_ptr<Record>> records_;  // index = trial number
  int64_t sync_cursor_ = 0;
  // hash of config_text -> numbers of finished COMPLETE/PRUNED trials with that configuration
  std::unordered_multimap<uint64_t, int64_t> finished_configs_;
  // member counts of those configurations that are objects (see StudyOptions::config_size_of)
  std::unordered_set<size_t> finished_config_sizes_;
  std::set<int64_t> running_ours_;
  std::set<int64_t> unfinished_;              // numbers of RUNNING/WAITING trials (any process)
  std::set<int64_t> waiting_;                 // numbers of enqueued trials not yet claimed
  std::vector<const FrozenTrial*> all_ptrs_;  // &records_[k]->t, for fast views
  std::map<std::string, Distribution>
      param_dists_;  // first distribution of each parameter  // numbers of trials this object runs
                     // that are not finished
  std::atomic<bool> stop_requested_{false};
  bool others_active_ = false;  // another process has run trials of this study meanwhile
  std::mutex heartbeat_mu_;
  std::condition_variable heartbeat_cv_;
  bool heartbeat_stop_ = false;
  std::string worker_id_;  // "host:pid" written into running trials
};

}  // namespace chop::search
