// sql::Connection over SQLite; see sqlite_connection.h. Statements are prepared once
// (SQLITE_PREPARE_PERSISTENT) and cached by the address of their SQL text.
#include "search/storages/sqlite_connection.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <unordered_map>

#include "core/error.h"
#include "search/storages/sqlite_wal_vfs.h"

namespace chop::search::sql {
namespace {

// Optuna 3.x's tables as SQLAlchemy creates them in SQLite (schema 12), plus chop_trial_changes,
// an append-only change log that lets each process re-read only what others changed. It is never
// deleted from, so its rowid (seq) only grows without AUTOINCREMENT (which would rewrite
// sqlite_sequence on every commit). Each b-tree a commit touches is one more WAL frame, so in
// new files the log has no (study_id, seq) index (a re-read scans the entries after its cursor
// by seq, all studies', which are the new ones) and the claims are one WITHOUT ROWID b-tree;
// files made before keep theirs (CREATE ... IF NOT EXISTS), and both read the same.
const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS studies (study_id INTEGER NOT NULL, study_name VARCHAR(512) NOT NULL,
  PRIMARY KEY (study_id));
CREATE UNIQUE INDEX IF NOT EXISTS ix_studies_study_name ON studies (study_name);
CREATE TABLE IF NOT EXISTS version_info (version_info_id INTEGER NOT NULL, schema_version INTEGER,
  library_version VARCHAR(256), PRIMARY KEY (version_info_id), CHECK (version_info_id=1));
CREATE TABLE IF NOT EXISTS study_directions (study_direction_id INTEGER NOT NULL,
  direction VARCHAR(8) NOT NULL, study_id INTEGER NOT NULL, objective INTEGER NOT NULL,
  PRIMARY KEY (study_direction_id), UNIQUE (study_id, objective),
  FOREIGN KEY(study_id) REFERENCES studies (study_id));
CREATE TABLE IF NOT EXISTS study_user_attributes (study_user_attribute_id INTEGER NOT NULL,
  study_id INTEGER, "key" VARCHAR(512), value_json TEXT, PRIMARY KEY (study_user_attribute_id),
  UNIQUE (study_id, "key"), FOREIGN KEY(study_id) REFERENCES studies (study_id));
CREATE TABLE IF NOT EXISTS study_system_attributes (study_system_attribute_id INTEGER NOT NULL,
  study_id INTEGER, "key" VARCHAR(512), value_json TEXT, PRIMARY KEY (study_system_attribute_id),
  UNIQUE (study_id, "key"), FOREIGN KEY(study_id) REFERENCES studies (study_id));
CREATE TABLE IF NOT EXISTS trials (trial_id INTEGER NOT NULL, number INTEGER, study_id INTEGER,
  state VARCHAR(8) NOT NULL, datetime_start DATETIME, datetime_complete DATETIME,
  PRIMARY KEY (trial_id), FOREIGN KEY(study_id) REFERENCES studies (study_id));
CREATE TABLE IF NOT EXISTS trial_user_attributes (trial_user_attribute_id INTEGER NOT NULL,
  trial_id INTEGER, "key" VARCHAR(512), value_json TEXT, PRIMARY KEY (trial_user_attribute_id),
  UNIQUE (trial_id, "key"), FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS trial_system_attributes (trial_system_attribute_id INTEGER NOT NULL,
  trial_id INTEGER, "key" VARCHAR(512), value_json TEXT,
  PRIMARY KEY (trial_system_attribute_id), UNIQUE (trial_id, "key"),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS trial_params (param_id INTEGER NOT NULL, trial_id INTEGER,
  param_name VARCHAR(512), param_value FLOAT, distribution_json TEXT, PRIMARY KEY (param_id),
  UNIQUE (trial_id, param_name), FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS trial_values (trial_value_id INTEGER NOT NULL,
  trial_id INTEGER NOT NULL, objective INTEGER NOT NULL, value FLOAT,
  value_type VARCHAR(7) NOT NULL, PRIMARY KEY (trial_value_id), UNIQUE (trial_id, objective),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS trial_intermediate_values (
  trial_intermediate_value_id INTEGER NOT NULL, trial_id INTEGER NOT NULL, step INTEGER NOT NULL,
  intermediate_value FLOAT, intermediate_value_type VARCHAR(7) NOT NULL,
  PRIMARY KEY (trial_intermediate_value_id), UNIQUE (trial_id, step),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS trial_heartbeats (trial_heartbeat_id INTEGER NOT NULL,
  trial_id INTEGER NOT NULL, heartbeat DATETIME NOT NULL, PRIMARY KEY (trial_heartbeat_id),
  UNIQUE (trial_id), FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE IF NOT EXISTS chop_trial_changes (seq INTEGER PRIMARY KEY,
  study_id INTEGER NOT NULL, trial_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chop_ix_trials_study ON trials (study_id, number);
CREATE TABLE IF NOT EXISTS chop_config_claims (study_id INTEGER NOT NULL,
  config_key VARCHAR(64) NOT NULL, trial_id INTEGER NOT NULL,
  PRIMARY KEY (study_id, config_key)) WITHOUT ROWID;
)SQL";

class SqliteConnection;

class SqliteStatement : public Statement {
 public:
  SqliteStatement(SqliteConnection& conn, sqlite3_stmt* st) : conn_(conn), st_(st) {}
  ~SqliteStatement() override { sqlite3_finalize(st_); }

  void bind_int(int i, int64_t v) override { sqlite3_bind_int64(st_, i, v); }
  void bind_double(int i, double v) override { sqlite3_bind_double(st_, i, v); }
  void bind_text(int i, std::string_view v) override {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int i) override { sqlite3_bind_null(st_, i); }
  bool next_row() override;
  int64_t run() override;
  int64_t run_insert() override;
  void reset() override { sqlite3_reset(st_); }
  int64_t column_int(int i) override { return sqlite3_column_int64(st_, i); }
  double column_double(int i) override { return sqlite3_column_double(st_, i); }
  const char* column_text(int i) override {
    return reinterpret_cast<const char*>(sqlite3_column_text(st_, i));
  }

  void clear() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  /// One step and a reset, for statements whose only result is success (BEGIN, COMMIT).
  int step_once() {
    const int rc = sqlite3_step(st_);
    sqlite3_reset(st_);
    return rc;
  }

 private:
  SqliteConnection& conn_;
  sqlite3_stmt* st_;
};

class SqliteConnection : public Connection {
 public:
  SqliteConnection(const std::string& path, int busy_timeout_ms) : path_(path) {
    const int rc = sqlite3_open_v2(
        path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
        wal_frame_vfs_name());
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      if (db_) sqlite3_close(db_);
      db_ = nullptr;
      throw DataError(path, "cannot open the study database: " + msg);
    }
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    // Each commit writes every page it touched to the WAL: small pages keep a trial's two
    // commits small. Only takes effect when the file is new (existing studies keep theirs).
    // Switching a new file to WAL needs it alone for a moment and SQLite does not wait for
    // that (no busy handler): workers opening one new study together take turns here.
    const auto give_up = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(std::max(busy_timeout_ms, 1000));
    for (;;) {
      try {
        exec("PRAGMA page_size=1024");
        exec("PRAGMA journal_mode=WAL");
        break;
      } catch (const DataError&) {
        const int code = sqlite3_errcode(db_);
        if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) ||
            std::chrono::steady_clock::now() > give_up)
          throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    exec("PRAGMA synchronous=NORMAL");
  }

  ~SqliteConnection() override {
    stmts_.clear();  // finalize before closing
    if (db_) sqlite3_close(db_);
  }

  Statement& prepare(const char* sql) override {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) {
      it->second->clear();
      return *it->second;
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
      fail(std::string("cannot prepare '") + sql + "'");
    return *stmts_.emplace(sql, std::make_unique<SqliteStatement>(*this, st)).first->second;
  }

  void exec(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw DataError(path_, "SQLite error: " + msg);
    }
  }

  // Transaction control runs once per trial or more: prepared once, not re-parsed.
  void begin_write() override { step_control("BEGIN IMMEDIATE"); }
  void begin_read() override { step_control("BEGIN"); }
  void commit() override { step_control("COMMIT"); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

  void create_tables_if_missing() override { exec(kSchema); }

  // Changes when another connection (process or thread) commits; never for our own commits.
  std::optional<int64_t> data_version() override {
    Statement& st = prepare("PRAGMA data_version");
    if (!st.next_row()) fail("PRAGMA data_version returned nothing");
    const int64_t v = st.column_int(0);
    st.reset();
    return v;
  }

  // UTC, as Optuna's CURRENT_TIMESTAMP there, but with milliseconds.
  const char* server_now_sql() const override { return "strftime('%Y-%m-%d %H:%M:%f', 'now')"; }

  const std::string& target() const override { return path_; }
  std::string describe() const override { return "sqlite:" + path_; }

  [[noreturn]] void fail(const std::string& what) {
    const int code = sqlite3_errcode(db_);
    std::string msg = what + ": " + sqlite3_errmsg(db_);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
      msg += " (another process held the database longer than the busy timeout)";
    throw DataError(path_, msg);
  }
  sqlite3* db() { return db_; }

 private:
  void step_control(const char* sql) {
    auto& st = static_cast<SqliteStatement&>(prepare(sql));
    if (st.step_once() != SQLITE_DONE) fail(std::string("SQLite error in ") + sql);
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, std::unique_ptr<SqliteStatement>> stmts_;
};

bool SqliteStatement::next_row() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) conn_.fail("read failed");
  return false;
}

int64_t SqliteStatement::run() {
  const int rc = sqlite3_step(st_);
  if (rc != SQLITE_DONE) conn_.fail("write failed");
  sqlite3_reset(st_);
  return sqlite3_changes(conn_.db());
}

int64_t SqliteStatement::run_insert() {
  run();
  return sqlite3_last_insert_rowid(conn_.db());
}

}  // namespace

std::unique_ptr<Connection> open_sqlite_connection(const std::string& path, int busy_timeout_ms) {
  return std::make_unique<SqliteConnection>(path, busy_timeout_ms);
}

}  // namespace chop::search::sql
