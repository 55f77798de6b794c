// Study storage backends (in search/storages/): in-memory, and Optuna 3.x's RDB table layout
// (so Optuna and optuna-dashboard read chop's studies) written once over a small SQL connection
// interface, with SQLite (WAL) as its connection. The Study keeps its trials in memory and writes
// through; a storage only persists and shares them (docs/search-engine.md, resume semantics).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "search/study_view.h"
#include "search/trial.h"

namespace chop::search {

/// One study of a storage as `chop study list` shows it.
struct StudySummary {
  int64_t study_id = -1;
  std::string name;
  std::vector<Direction> directions;
  std::map<TrialState, int64_t> n_by_state;  // states with at least one trial
  int64_t n_trials = 0;
  int64_t datetime_start_ms = 0;  // the first trial's start (0: no trial)
};

class Storage {
 public:
  virtual ~Storage() = default;

  /// Creates the study, or loads it when it exists and `load_if_exists` (then `directions`
  /// must match the stored ones: UserError otherwise). Returns the study id.
  virtual int64_t create_or_load_study(const std::string& name,
                                       const std::vector<Direction>& directions,
                                       bool load_if_exists) = 0;
  virtual std::vector<Direction> study_directions(int64_t study_id) = 0;
  virtual std::vector<std::string> study_names() = 0;
  /// The id of the study named `name`, or nullopt (Optuna's get_study_id_from_name); creates
  /// nothing, so readers (reports, the dashboard) can open a study without knowing its directions.
  virtual std::optional<int64_t> study_id_from_name(const std::string& name) = 0;
  virtual void set_study_system_attr(int64_t study_id, const std::string& key,
                                     const Json& value) = 0;
  virtual Json study_system_attrs(int64_t study_id) = 0;
  virtual void set_study_user_attr(int64_t study_id, const std::string& key, const Json& value) = 0;
  virtual Json study_user_attrs(int64_t study_id) = 0;

  /// Inserts `tmpl` (state RUNNING or WAITING; a finished one when copying a study) as a new
  /// trial; assigns and returns its number and trial id atomically (number = count of earlier
  /// trials of the study). With `max_trials >= 0` it writes nothing and returns number -1 when
  /// the study already holds `max_trials` trials that are neither WAITING nor retries of failed
  /// ones: check and insert are one transaction, so workers sharing a study stop at exactly
  /// that many. `first_heartbeat`: the new trial's first heartbeat (as record_heartbeats) is
  /// written in the same transaction, so a worker killed right after is noticed, for one commit.
  virtual FrozenTrial create_trial(int64_t study_id, const FrozenTrial& tmpl,
                                   int64_t max_trials = -1, bool first_heartbeat = false) = 0;
  /// Replaces the stored content of `trial` (by trial_id) in one transaction and commits.
  /// Returns false, writing nothing, if the stored trial is already finished.
  virtual bool write_trial(int64_t study_id, const FrozenTrial& trial) = 0;
  /// Atomic WAITING -> RUNNING claim (with start time); false if another worker won.
  virtual bool claim_waiting_trial(int64_t study_id, int64_t trial_id, int64_t start_ms,
                                   const Json& system_attrs) = 0;
  /// Trials created or modified since `cursor` (0: all), in number order; advances `cursor`.
  virtual std::vector<FrozenTrial> changed_trials(int64_t study_id, int64_t& cursor) = 0;

  /// Records "alive now", by the storage's own clock (the database server's), for running trials
  /// (Optuna's trial_heartbeats; heartbeat_interval).
  virtual void record_heartbeats(const std::vector<int64_t>& trial_ids) = 0;
  /// Marks FAIL every RUNNING trial of the study whose last heartbeat is older than `grace_s` by
  /// that clock (Optuna's fail_stale_trials; trials that never beat are left alone), each by
  /// exactly one caller, and in the same transaction re-queues each as a WAITING trial with the
  /// same parameters unless it has been retried `max_retry` times already (Optuna's
  /// RetryFailedTrialCallback: system attrs failed_trial, retry_history). Returns what this call
  /// wrote, as stored now: each failed trial (FAIL) followed by its retry (WAITING) if any.
  /// `none_running_seen`: the caller's reads of the study through this storage, with its own
  /// writes since, show no RUNNING trial; a storage that can tell that nothing else was
  /// committed since then may answer without reading (there is nothing to fail).
  virtual std::vector<FrozenTrial> fail_stale_trials(int64_t study_id, double grace_s,
                                                     int max_retry,
                                                     bool none_running_seen = false) = 0;

  /// Claims configuration `config_key` (a digest of its parameter values) of the study for
  /// trial `trial_id`, so that workers sharing the study evaluate each configuration once.
  /// Returns -1 when this trial holds the claim now (it was free, already this trial's, or its
  /// holder ended FAIL), else the number of the trial that holds it.
  /// `trial` (the claiming trial as it stands), when given, is written first in the same
  /// transaction, as write_trial: its parameters are stored before it is evaluated (so a killed
  /// worker's retry re-runs the same configuration) for no commit of their own. If the stored
  /// trial is finished already, nothing is written and kClaimTrialFinished is returned.
  virtual int64_t claim_configuration(int64_t study_id, const std::string& config_key,
                                      int64_t trial_id, const FrozenTrial* trial = nullptr) = 0;
  static constexpr int64_t kClaimTrialFinished = -3;
  /// create_trial and claim_configuration in one transaction, for samplers that choose the whole
  /// configuration at ask time (bruteforce): `tmpl` carries its params (published at once), and
  /// the new trial holds the claim on `config_key` — unless a trial that has not failed holds
  /// it: then nothing is written, the returned number is -2 and `*holder` is the holder's
  /// number. Number -1: the study holds `max_trials` already (as create_trial), which also
  /// says what `first_heartbeat` does.
  virtual FrozenTrial create_trial_claiming(int64_t study_id, const FrozenTrial& tmpl,
                                            int64_t max_trials, const std::string& config_key,
                                            int64_t* holder, bool first_heartbeat = false) = 0;
  /// False for storages no other process can see (in-memory): claims are then not needed.
  virtual bool shared_between_processes() const { return true; }

  /// Every study with its trial counts, by study id.
  virtual std::vector<StudySummary> study_summaries() = 0;
  /// Deletes the study and everything of it in one transaction (as Optuna's delete_study).
  virtual void delete_study(int64_t study_id) = 0;

  /// A short description for messages ("in-memory", "sqlite:/path/study.db").
  virtual std::string describe() const = 0;
};

/// Process-local storage (shared by Study objects that hold the same pointer).
std::shared_ptr<Storage> make_in_memory_storage();

/// Opens (creating if needed) an SQLite study file: WAL journal, busy timeout `busy_timeout_ms`,
/// one IMMEDIATE transaction per write, synchronous=NORMAL (a committed trial survives a killed
/// process; only an OS crash can lose the last commits). Throws DataError if the file is not a
/// usable database.
std::shared_ptr<Storage> open_sqlite_storage(const std::string& path, int busy_timeout_ms = 60000);

/// Opens a storage by URL: "sqlite:///path.db" (SQLAlchemy's form: four slashes for an absolute
/// path), "sqlite:path.db", a path ending in .db/.sqlite/.sqlite3, "postgresql://…" /
/// "postgres://…", or ":memory:"/"memory"/"" (in-memory). Throws UserError for anything else;
/// messages never show a URL's password. A server storage retries a lost connection for
/// `server_retry_s` seconds before it gives up (UnavailableError).
std::shared_ptr<Storage> open_storage(const std::string& url, double server_retry_s = 300.0);

/// True for what open_storage accepts besides the in-memory names.
bool is_storage_url(const std::string& url);

/// The file an SQLite URL or path names (empty for other storages).
std::string sqlite_path_of(const std::string& url);

/// `url` with any password replaced by "***" (for messages and logs).
std::string redact_storage_url(const std::string& url);

}  // namespace chop::search
