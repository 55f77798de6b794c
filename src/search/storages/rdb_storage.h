// Optuna's RDB storage (the table layout of Optuna 3.x, schema 12, so Optuna and
// optuna-dashboard read chop's studies) written once over sql::Connection: studies and their
// attributes (this file's .cpp), trial writes that touch only the rows that changed
// (rdb_trial_writes.cpp), and incremental reads of other processes' changes through
// chop_trial_changes (rdb_trial_reads.cpp). One write transaction per call.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "search/storage.h"
#include "search/storages/sql_connection.h"

namespace chop::search {

/// The storage over an open connection (creates the tables and version rows if missing).
std::shared_ptr<Storage> make_rdb_storage(std::unique_ptr<sql::Connection> conn);

namespace rdb {

/// Binds a datetime column: NULL for ms <= 0, else Optuna's text form (rdb_values.h).
void bind_datetime(sql::Statement& st, int i, int64_t ms);

class RdbStorage : public Storage {
 public:
  explicit RdbStorage(std::unique_ptr<sql::Connection> conn);

  int64_t create_or_load_study(const std::string& name, const std::vector<Direction>& directions,
                               bool load_if_exists) override;
  std::vector<Direction> study_directions(int64_t study_id) override;
  std::vector<std::string> study_names() override;
  std::optional<int64_t> study_id_from_name(const std::string& name) override;
  void set_study_system_attr(int64_t id, const std::string& key, const Json& v) override;
  Json study_system_attrs(int64_t id) override;
  void set_study_user_attr(int64_t id, const std::string& key, const Json& v) override;
  Json study_user_attrs(int64_t id) override;

  FrozenTrial create_trial(int64_t study_id, const FrozenTrial& tmpl, int64_t max_trials,
                           bool first_heartbeat) override;
  bool write_trial(int64_t study_id, const FrozenTrial& trial) override;
  bool claim_waiting_trial(int64_t study_id, int64_t trial_id, int64_t start_ms,
                           const Json& system_attrs) override;
  std::vector<FrozenTrial> changed_trials(int64_t study_id, int64_t& cursor) override;

  // rdb_heartbeats.cpp
  void record_heartbeats(const std::vector<int64_t>& trial_ids) override;
  std::vector<FrozenTrial> fail_stale_trials(int64_t study_id, double grace_s, int max_retry,
                                             bool none_running_seen = false) override;

  // rdb_claims.cpp
  int64_t claim_configuration(int64_t study_id, const std::string& config_key, int64_t trial_id,
                              const FrozenTrial* trial = nullptr) override;
  FrozenTrial create_trial_claiming(int64_t study_id, const FrozenTrial& tmpl, int64_t max_trials,
                                    const std::string& config_key, int64_t* holder,
                                    bool first_heartbeat) override;

  // rdb_study_admin.cpp
  std::vector<StudySummary> study_summaries() override;
  void delete_study(int64_t study_id) override;

  std::string describe() const override { return conn_->describe(); }

 private:
  // A write transaction or a read snapshot (`Begin`), rolled back unless committed (exceptions
  // and early returns).
  template <void (sql::Connection::*Begin)()>
  class Txn {
   public:
    explicit Txn(sql::Connection& c) : c_(c) { (c_.*Begin)(); }
    void commit() {
      c_.commit();
      done_ = true;
    }
    ~Txn() {
      if (!done_) c_.rollback();
    }

   private:
    sql::Connection& c_;
    bool done_ = false;
  };
  using WriteTxn = Txn<&sql::Connection::begin_write>;
  using ReadTxn = Txn<&sql::Connection::begin_read>;

  // Rows of a trial's child tables as this connection last wrote them, for its unfinished
  // trials: a rewrite then touches only what changed (a finished trial's last write is mostly
  // new rows; deleting and re-inserting the unchanged ones doubled its cost).
  struct WrittenRows {
    std::map<std::string, std::pair<double, const std::string*>> params;
    std::map<int64_t, double> values;  // objective -> value
    std::map<int64_t, double> intermediate;
    std::map<std::string, std::string> user_attrs, system_attrs;  // key -> JSON text
  };

  // Per study: Study objects reading it through this connection, the data version of their last
  // read (-1: none yet), and the newest change-log entry this connection wrote for it.
  struct StudySync {
    int readers = 0;
    int64_t data_version = -1;
    int64_t own_seq = 0;
  };

  // rdb_storage.cpp
  std::vector<Direction> directions_locked(int64_t id);
  void set_study_attr(const std::string& table, int64_t id, const std::string& key, const Json& v);
  Json study_attrs(const std::string& table, int64_t id);
  void log_change(int64_t study_id, int64_t trial_id);
  void lock_study(int64_t study_id);
  FrozenTrial create_locked(int64_t study_id, const FrozenTrial& tmpl, WrittenRows& rows);
  /// write_trial's body inside the open write transaction: false (nothing written) when the
  /// stored trial is finished; else `rows` are for remember() once committed.
  bool update_trial_locked(int64_t study_id, const FrozenTrial& t, WrittenRows& rows);
  /// Notes the data version inside the open transaction (see recent_version_).
  void note_version_locked();
  /// recent_version_ if it is fresh enough to stand for "now" (else nullopt).
  std::optional<int64_t> recent_version() const;
  /// Upserts the trial's heartbeat (server clock) inside the open write transaction.
  void beat_locked(int64_t trial_id);
  std::optional<FrozenTrial> find_created_locked(int64_t study_id, const FrozenTrial& tmpl);
  /// Trials that count against max_trials (not WAITING, not retries of failed ones).
  int64_t counted_trials_locked(int64_t study_id);

  // rdb_trial_writes.cpp
  WrittenRows write_children(const FrozenTrial& t, bool replace);
  void remember(const FrozenTrial& t, WrittenRows&& rows);
  void delete_all_children(int64_t trial_id);
  template <typename Bind>
  void for_each_insert(const char* head, const char* row, const char* tail, size_t n, Bind&& bind);
  void write_number(const char* sql, int64_t trial_id, int64_t key, double v);
  void write_attrs(const char* insert_head, const char* insert_tail, const char* delete_sql,
                   int64_t trial_id, const Json& attrs,
                   const std::map<std::string, std::string>& old,
                   std::map<std::string, std::string>& now);
  const std::string& dist_json(const Distribution& d);

  // rdb_trial_reads.cpp
  std::vector<FrozenTrial> changed_locked(int64_t study_id, int64_t& cursor);
  /// Every field of the trials whose ids are listed (in number order).
  std::vector<FrozenTrial> read_trials_locked(const std::vector<int64_t>& trial_ids);
  const Distribution& dist_from(const char* text);

  std::unique_ptr<sql::Connection> conn_;
  std::map<int64_t, StudySync> sync_;
  std::unordered_map<int64_t, WrittenRows> written_;  // by trial_id, unfinished trials only
  std::mutex mu_;
  // Multi-row INSERTs by (head, rows): their interned SQL (the connection caches statements by it).
  std::map<std::pair<const char*, size_t>, const char*> multi_sql_;
  std::map<std::string, Distribution> dist_cache_;
  // The data version read inside this connection's latest stale-trial scan or creation (after
  // its change-log entry; any later entry of ours drops it), and when: the sync the Study runs
  // right after either takes it instead of a read transaction of its own. Used by one sync, and
  // only within milliseconds (it is the state as of that transaction).
  static constexpr std::chrono::milliseconds kRecentVersionFresh{2};
  std::optional<int64_t> recent_version_;
  std::chrono::steady_clock::time_point recent_version_at_;
  // The same, read inside the latest finishing write, for the next ask's stale-trial scan only
  // (fail_stale_trials' none_running_seen). Never for a sync: a reader that knows another
  // worker committed after our write (a joined thread, a pipe) must see that commit.
  std::optional<int64_t> finished_version_;
  std::chrono::steady_clock::time_point finished_version_at_;
};

}  // namespace rdb
}  // namespace chop::search
