// Study storage backends (in search/storages/): in-memory, and Optuna 3.x's RDB table layout
// (so Optuna and optuna-dashboard read chop's studies) written once over a small SQL connection
// interface, with SQLite (WAL) as its connection. The Study keeps its trials in memory and writes
// through; a storage only persists and shares them (docs/search-engine.md, resume semantics).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "search/study_view.h"
#include "search/trial.h"

namespace chop::search {

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

  /// Inserts `tmpl` (state RUNNING or WAITING) as a new trial; assigns and returns its number
  /// and trial id atomically (number = count of earlier trials of the study).
  virtual FrozenTrial create_trial(int64_t study_id, const FrozenTrial& tmpl) = 0;
  /// Replaces the stored content of `trial` (by trial_id) in one transaction and commits.
  /// Returns false, writing nothing, if the stored trial is already finished.
  virtual bool write_trial(int64_t study_id, const FrozenTrial& trial) = 0;
  /// Atomic WAITING -> RUNNING claim (with start time); false if another worker won.
  virtual bool claim_waiting_trial(int64_t study_id, int64_t trial_id, int64_t start_ms,
                                   const Json& system_attrs) = 0;
  /// Trials created or modified since `cursor` (0: all), in number order; advances `cursor`.
  virtual std::vector<FrozenTrial> changed_trials(int64_t study_id, int64_t& cursor) = 0;

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

/// "sqlite:///abs/path.db", "sqlite:path.db", a path ending in .db/.sqlite/.sqlite3, or
/// ":memory:"/"memory"/"" (in-memory). Throws UserError for anything else.
std::shared_ptr<Storage> open_storage(const std::string& url);

}  // namespace chop::search
