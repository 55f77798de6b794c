// SQLite storage in Optuna 3.x's table layout (schema 12), plus chop_trial_changes, an
// append-only change log that lets each process re-read only what others changed. WAL journal,
// busy timeout, one IMMEDIATE transaction per write; PRAGMA data_version tells whether any
// other connection committed, so a lone process never re-reads its own writes.
#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <map>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "core/error.h"
#include "core/strings.h"
#include "search/storage.h"

namespace chop::search {
namespace {

// chop_trial_changes is never deleted from, so its rowid (seq) only grows without AUTOINCREMENT
// (which would rewrite sqlite_sequence on every commit).
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
INSERT OR IGNORE INTO version_info VALUES (1, 12, '3.1.0');
INSERT INTO alembic_version SELECT 'v3.0.0.d' WHERE NOT EXISTS (SELECT 1 FROM alembic_version);
CREATE TABLE IF NOT EXISTS chop_trial_changes (seq INTEGER PRIMARY KEY,
  study_id INTEGER NOT NULL, trial_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chop_ix_changes_study ON chop_trial_changes (study_id, seq);
CREATE INDEX IF NOT EXISTS chop_ix_trials_study ON trials (study_id, number);
)SQL";

// Optuna writes naive local datetimes with microseconds.
std::string format_datetime(int64_t ms) {
  if (ms <= 0) return "";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000) * 1000);
  return buf;
}

int64_t parse_datetime(const unsigned char* text) {
  if (!text) return 0;
  std::tm tm{};
  int us = 0;
  if (std::sscanf(reinterpret_cast<const char*>(text), "%d-%d-%d %d:%d:%d.%d", &tm.tm_year,
                  &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm)) * 1000 + us / 1000;
}

const char* value_type(double v) {
  if (std::isnan(v)) return "NAN";
  if (std::isinf(v)) return v > 0 ? "INF_POS" : "INF_NEG";
  return "FINITE";
}

double typed_value(sqlite3_stmt* st, int col_value, int col_type) {
  const std::string type = reinterpret_cast<const char*>(sqlite3_column_text(st, col_type));
  if (type == "INF_POS") return INFINITY;
  if (type == "INF_NEG") return -INFINITY;
  if (type == "NAN") return NAN;
  return sqlite3_column_double(st, col_value);
}

class SqliteStorage : public Storage {
 public:
  SqliteStorage(const std::string& path, int busy_timeout_ms) : path_(path) {
    const int rc = sqlite3_open_v2(
        path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
        nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      if (db_) sqlite3_close(db_);
      db_ = nullptr;
      throw DataError(path, "cannot open the study database: " + msg);
    }
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    // Each commit writes every page it touched to the WAL: small pages keep a trial's two
    // commits small. Only takes effect when the file is new (existing studies keep theirs).
    exec("PRAGMA page_size=1024");
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("BEGIN IMMEDIATE");
    try {
      exec(kSchema);
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  ~SqliteStorage() override {
    for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
    if (db_) sqlite3_close(db_);
  }

  int64_t create_or_load_study(const std::string& name, const std::vector<Direction>& directions,
                               bool load_if_exists) override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn txn(this);
    auto* st = stmt("SELECT study_id FROM studies WHERE study_name = ?");
    bind_text(st, 1, name);
    if (sqlite3_step(st) == SQLITE_ROW) {
      const int64_t id = sqlite3_column_int64(st, 0);
      sqlite3_reset(st);
      if (!load_if_exists) throw UserError("study '" + name + "' already exists in " + path_);
      const auto stored = directions_locked(id);
      if (stored != directions)
        throw UserError("study '" + name + "' in " + path_ + " has " +
                        std::to_string(stored.size()) +
                        " direction(s) that differ from the requested ones; use another study "
                        "name or the same directions");
      txn.commit();
      ++sync_[id].readers;
      return id;
    }
    sqlite3_reset(st);
    st = stmt("INSERT INTO studies (study_name) VALUES (?)");
    bind_text(st, 1, name);
    step_done(st);
    const int64_t id = sqlite3_last_insert_rowid(db_);
    for (size_t k = 0; k < directions.size(); ++k) {
      st = stmt("INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, ?)");
      bind_text(st, 1, directions[k] == Direction::kMinimize ? "MINIMIZE" : "MAXIMIZE");
      sqlite3_bind_int64(st, 2, id);
      sqlite3_bind_int64(st, 3, static_cast<int64_t>(k));
      step_done(st);
    }
    txn.commit();
    ++sync_[id].readers;
    return id;
  }

  std::vector<Direction> study_directions(int64_t study_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return directions_locked(study_id);
  }

  std::vector<std::string> study_names() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    auto* st = stmt("SELECT study_name FROM studies ORDER BY study_id");
    while (step_row(st)) out.push_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    return out;
  }

  void set_study_system_attr(int64_t id, const std::string& key, const Json& v) override {
    set_study_attr("study_system_attributes", id, key, v);
  }
  Json study_system_attrs(int64_t id) override {
    return study_attrs("study_system_attributes", id);
  }
  void set_study_user_attr(int64_t id, const std::string& key, const Json& v) override {
    set_study_attr("study_user_attributes", id, key, v);
  }
  Json study_user_attrs(int64_t id) override { return study_attrs("study_user_attributes", id); }

  FrozenTrial create_trial(int64_t study_id, const FrozenTrial& tmpl) override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn txn(this);
    // Numbers are contiguous, so max + 1 is the count (an index lookup, not a scan).
    auto* st = stmt("SELECT IFNULL(MAX(number), -1) + 1 FROM trials WHERE study_id = ?");
    sqlite3_bind_int64(st, 1, study_id);
    step_row(st);
    FrozenTrial t = tmpl;
    t.number = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    st = stmt(
        "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
        "VALUES (?, ?, ?, ?, ?)");
    sqlite3_bind_int64(st, 1, t.number);
    sqlite3_bind_int64(st, 2, study_id);
    bind_text(st, 3, to_string(t.state));
    bind_datetime(st, 4, t.datetime_start_ms);
    bind_datetime(st, 5, t.datetime_complete_ms);
    step_done(st);
    t.trial_id = sqlite3_last_insert_rowid(db_);
    WrittenRows rows = write_children(t, false);
    log_change(study_id, t.trial_id);
    txn.commit();
    remember(t, std::move(rows));
    return t;
  }

  bool write_trial(int64_t study_id, const FrozenTrial& t) override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn txn(this);
    auto* st = stmt("SELECT state FROM trials WHERE trial_id = ?");
    sqlite3_bind_int64(st, 1, t.trial_id);
    if (!step_row(st)) {
      sqlite3_reset(st);
      throw DataError(path_, "trial " + std::to_string(t.number) + " vanished from the database");
    }
    const TrialState stored =
        parse_trial_state(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_reset(st);
    if (is_finished(stored)) return false;  // Txn rolls back
    st = stmt(
        "UPDATE trials SET state = ?, datetime_start = ?, datetime_complete = ? "
        "WHERE trial_id = ?");
    bind_text(st, 1, to_string(t.state));
    bind_datetime(st, 2, t.datetime_start_ms);
    bind_datetime(st, 3, t.datetime_complete_ms);
    sqlite3_bind_int64(st, 4, t.trial_id);
    step_done(st);
    WrittenRows rows = write_children(t, true);
    log_change(study_id, t.trial_id);
    txn.commit();
    remember(t, std::move(rows));
    return true;
  }

  bool claim_waiting_trial(int64_t study_id, int64_t trial_id, int64_t start_ms,
                           const Json& system_attrs) override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn txn(this);
    auto* st = stmt(
        "UPDATE trials SET state = 'RUNNING', datetime_start = ? "
        "WHERE trial_id = ? AND state = 'WAITING'");
    bind_datetime(st, 1, start_ms);
    sqlite3_bind_int64(st, 2, trial_id);
    step_done(st);
    if (sqlite3_changes(db_) == 0) return false;
    written_.erase(trial_id);  // rows written here, not by write_children
    for (auto it = system_attrs.begin(); it != system_attrs.end(); ++it) {
      st = stmt(
          "INSERT OR REPLACE INTO trial_system_attributes (trial_id, \"key\", value_json) "
          "VALUES (?, ?, ?)");
      sqlite3_bind_int64(st, 1, trial_id);
      bind_text(st, 2, it.key());
      bind_text(st, 3, it.value().dump());
      step_done(st);
    }
    log_change(study_id, trial_id);
    txn.commit();
    return true;
  }

  std::vector<FrozenTrial> changed_trials(int64_t study_id, int64_t& cursor) override {
    std::lock_guard<std::mutex> lock(mu_);
    StudySync& sync = sync_[study_id];
    // With one reader of this study on this connection and no commit by any other connection
    // since its last read, every change since `cursor` is one this reader wrote itself and
    // already holds in memory: skip the read (most of a lone search's storage time).
    if (cursor > 0 && sync.readers == 1 && sync.data_version >= 0 &&
        data_version() == sync.data_version) {
      cursor = std::max(cursor, sync.own_seq);
      return {};
    }
    exec("BEGIN");  // one read snapshot for the cursor, the data version and the rows
    try {
      sync.data_version = data_version();
      auto out = changed_locked(study_id, cursor);
      exec("COMMIT");
      return out;
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      sync.data_version = -1;
      throw;
    }
  }

  std::vector<StudySummary> study_summaries() override {
    std::lock_guard<std::mutex> lock(mu_);
    exec("BEGIN");  // one snapshot for the three reads
    try {
      std::vector<StudySummary> out;
      std::map<int64_t, size_t> index;
      auto* st = stmt("SELECT study_id, study_name FROM studies ORDER BY study_id");
      while (step_row(st)) {
        StudySummary s;
        s.study_id = sqlite3_column_int64(st, 0);
        s.name = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
        index[s.study_id] = out.size();
        out.push_back(std::move(s));
      }
      st = stmt("SELECT study_id, direction FROM study_directions ORDER BY study_id, objective");
      while (step_row(st)) {
        auto it = index.find(sqlite3_column_int64(st, 0));
        if (it == index.end()) continue;
        const std::string d = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
        out[it->second].directions.push_back(d == "MAXIMIZE" ? Direction::kMaximize
                                                             : Direction::kMinimize);
      }
      st = stmt(
          "SELECT study_id, state, COUNT(*), MIN(datetime_start) FROM trials "
          "GROUP BY study_id, state");
      while (step_row(st)) {
        auto it = index.find(sqlite3_column_int64(st, 0));
        if (it == index.end()) continue;
        StudySummary& s = out[it->second];
        const int64_t n = sqlite3_column_int64(st, 2);
        s.n_by_state[parse_trial_state(
            reinterpret_cast<const char*>(sqlite3_column_text(st, 1)))] += n;
        s.n_trials += n;
        const int64_t start = parse_datetime(sqlite3_column_text(st, 3));
        if (start > 0 && (s.datetime_start_ms == 0 || start < s.datetime_start_ms))
          s.datetime_start_ms = start;
      }
      exec("COMMIT");
      return out;
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  // chop_trial_changes keeps its rows: its seq must only grow (see kSchema), and rows of a
  // deleted study match no trial.
  void delete_study(int64_t study_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn txn(this);
    for (const char* sql :
         {"DELETE FROM trial_params WHERE trial_id IN (SELECT trial_id FROM trials WHERE "
          "study_id = ?)",
          "DELETE FROM trial_values WHERE trial_id IN (SELECT trial_id FROM trials WHERE "
          "study_id = ?)",
          "DELETE FROM trial_intermediate_values WHERE trial_id IN (SELECT trial_id FROM trials "
          "WHERE study_id = ?)",
          "DELETE FROM trial_user_attributes WHERE trial_id IN (SELECT trial_id FROM trials "
          "WHERE study_id = ?)",
          "DELETE FROM trial_system_attributes WHERE trial_id IN (SELECT trial_id FROM trials "
          "WHERE study_id = ?)",
          "DELETE FROM trial_heartbeats WHERE trial_id IN (SELECT trial_id FROM trials WHERE "
          "study_id = ?)",
          "DELETE FROM trials WHERE study_id = ?", "DELETE FROM study_directions WHERE study_id = ?",
          "DELETE FROM study_user_attributes WHERE study_id = ?",
          "DELETE FROM study_system_attributes WHERE study_id = ?",
          "DELETE FROM studies WHERE study_id = ?"}) {
      auto* st = stmt(sql);
      sqlite3_bind_int64(st, 1, study_id);
      step_done(st);
    }
    txn.commit();
    sync_.erase(study_id);
    written_.clear();  // trial ids of the deleted study may be anywhere in it
  }

  std::string describe() const override { return "sqlite:" + path_; }

 private:
  // Rolls back unless committed (exceptions and early returns).
  struct Txn {
    explicit Txn(SqliteStorage* s) : s_(s) { s_->exec("BEGIN IMMEDIATE"); }
    void commit() {
      s_->exec("COMMIT");
      done_ = true;
    }
    ~Txn() {
      if (!done_) sqlite3_exec(s_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    SqliteStorage* s_;
    bool done_ = false;
  };

  [[noreturn]] void fail(const std::string& what) {
    const int code = sqlite3_errcode(db_);
    std::string msg = what + ": " + sqlite3_errmsg(db_);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
      msg += " (another process held the database longer than the busy timeout)";
    throw DataError(path_, msg);
  }

  // Transaction control runs once per trial or more: prepared once, not re-parsed.
  void exec(const char* sql) {
    const std::string_view q(sql);
    if (q == "BEGIN" || q == "BEGIN IMMEDIATE" || q == "COMMIT") {
      sqlite3_stmt* st = stmt(sql);
      const int rc = sqlite3_step(st);
      sqlite3_reset(st);
      if (rc != SQLITE_DONE) fail(std::string("SQLite error in ") + sql);
      return;
    }
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw DataError(path_, std::string("SQLite error: ") + msg);
    }
  }

  sqlite3_stmt* stmt(const char* sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK)
      fail(std::string("cannot prepare '") + sql + "'");
    stmts_[sql] = st;
    return st;
  }

  void bind_text(sqlite3_stmt* st, int i, const std::string& s) {
    sqlite3_bind_text(st, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void bind_datetime(sqlite3_stmt* st, int i, int64_t ms) {
    if (ms <= 0)
      sqlite3_bind_null(st, i);
    else
      bind_text(st, i, format_datetime(ms));
  }
  void step_done(sqlite3_stmt* st) {
    const int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) fail("write failed");
    sqlite3_reset(st);
  }
  bool step_row(sqlite3_stmt* st) {
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("read failed");
    return false;
  }

  std::vector<Direction> directions_locked(int64_t id) {
    std::vector<Direction> out;
    auto* st = stmt("SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective");
    sqlite3_bind_int64(st, 1, id);
    while (step_row(st))
      out.push_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) ==
                            "MAXIMIZE"
                        ? Direction::kMaximize
                        : Direction::kMinimize);
    return out;
  }

  void set_study_attr(const std::string& table, int64_t id, const std::string& key, const Json& v) {
    std::lock_guard<std::mutex> lock(mu_);
    Txn txn(this);
    const std::string sql =
        "INSERT OR REPLACE INTO " + table + " (study_id, \"key\", value_json) VALUES (?, ?, ?)";
    auto* st = stmt(intern(sql));
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, key);
    bind_text(st, 3, v.dump());
    step_done(st);
    txn.commit();
  }

  Json study_attrs(const std::string& table, int64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    Json out = Json::object();
    auto* st = stmt(intern("SELECT \"key\", value_json FROM " + table + " WHERE study_id = ?"));
    sqlite3_bind_int64(st, 1, id);
    while (step_row(st))
      out[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
          Json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    return out;
  }

  // Statement cache keys must outlive the map: keep dynamic SQL strings alive here.
  const char* intern(const std::string& sql) {
    auto it = interned_.emplace(sql, sql).first;
    return it->second.c_str();
  }

  void log_change(int64_t study_id, int64_t trial_id) {
    auto* st = stmt("INSERT INTO chop_trial_changes (study_id, trial_id) VALUES (?, ?)");
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_int64(st, 2, trial_id);
    step_done(st);
    StudySync& sync = sync_[study_id];
    sync.own_seq = std::max<int64_t>(sync.own_seq, sqlite3_last_insert_rowid(db_));
  }

  // Changes when another connection (process or thread) commits; never for our own commits.
  int64_t data_version() {
    auto* st = stmt("PRAGMA data_version");
    if (!step_row(st)) fail("PRAGMA data_version returned nothing");
    const int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
  }

  // Rows of a trial's child tables as this connection last wrote them, for its unfinished
  // trials: a rewrite then touches only what changed (a finished trial's last write is mostly
  // new rows; deleting and re-inserting the unchanged ones doubled its cost).
  struct WrittenRows {
    std::map<std::string, std::pair<double, const std::string*>> params;
    std::map<int64_t, double> values;  // objective -> value
    std::map<int64_t, double> intermediate;
    std::map<std::string, std::string> user_attrs, system_attrs;  // key -> JSON text
  };

  static bool same_number(double a, double b) {
    return a == b || (std::isnan(a) && std::isnan(b));
  }

  void delete_all_children(int64_t trial_id) {
    for (const char* sql : {"DELETE FROM trial_params WHERE trial_id = ?",
                            "DELETE FROM trial_values WHERE trial_id = ?",
                            "DELETE FROM trial_intermediate_values WHERE trial_id = ?",
                            "DELETE FROM trial_user_attributes WHERE trial_id = ?",
                            "DELETE FROM trial_system_attributes WHERE trial_id = ?"}) {
      auto* st = stmt(sql);
      sqlite3_bind_int64(st, 1, trial_id);
      step_done(st);
    }
  }

  // Deletes the rows of `written` whose key is not in `now` (by the table's key column).
  template <typename Map, typename Keep>
  void delete_missing(const char* sql, int64_t trial_id, const Map& written, Keep&& keep) {
    for (const auto& [key, v] : written) {
      if (keep(key)) continue;
      auto* st = stmt(sql);
      sqlite3_bind_int64(st, 1, trial_id);
      if constexpr (std::is_same_v<std::decay_t<decltype(key)>, std::string>)
        bind_text(st, 2, key);
      else
        sqlite3_bind_int64(st, 2, key);
      step_done(st);
    }
  }

  // Writes t's child rows; the caller hands the result to remember() once committed (a rolled
  // back write leaves no record, so the next write starts from a full delete).
  WrittenRows write_children(const FrozenTrial& t, bool replace) {
    WrittenRows old;
    auto found = written_.find(t.trial_id);
    if (found != written_.end()) {
      old = std::move(found->second);
      written_.erase(found);
    } else if (replace) {
      delete_all_children(t.trial_id);  // rows of unknown content
    }
    WrittenRows now;
    std::vector<std::pair<const std::string*, double>> changed_params;
    for (const auto& [name, v] : t.params) {
      const std::string& dist = dist_json(t.distributions.at(name));
      now.params[name] = {v, &dist};
      auto o = old.params.find(name);
      if (o != old.params.end() && same_number(o->second.first, v) && *o->second.second == dist)
        continue;
      changed_params.emplace_back(&name, v);
    }
    for_each_insert(
        "INSERT OR REPLACE INTO trial_params (trial_id, param_name, param_value, "
        "distribution_json) VALUES ",
        "(?, ?, ?, ?)", changed_params.size(), [&](sqlite3_stmt* st, int col, size_t i) {
          const auto& [name, v] = changed_params[i];
          sqlite3_bind_int64(st, col, t.trial_id);
          bind_text(st, col + 1, *name);
          sqlite3_bind_double(st, col + 2, v);
          bind_text(st, col + 3, *now.params.at(*name).second);
        });
    delete_missing("DELETE FROM trial_params WHERE trial_id = ? AND param_name = ?", t.trial_id,
                   old.params, [&](const std::string& k) { return t.params.count(k) > 0; });
    for (size_t k = 0; k < t.values.size(); ++k) {
      const auto objective = static_cast<int64_t>(k);
      now.values[objective] = t.values[k];
      auto o = old.values.find(objective);
      if (o != old.values.end() && same_number(o->second, t.values[k])) continue;
      write_number(
          "INSERT OR REPLACE INTO trial_values (trial_id, objective, value, value_type) "
          "VALUES (?, ?, ?, ?)",
          t.trial_id, objective, t.values[k]);
    }
    delete_missing("DELETE FROM trial_values WHERE trial_id = ? AND objective = ?", t.trial_id,
                   old.values,
                   [&](int64_t k) { return k < static_cast<int64_t>(t.values.size()); });
    for (const auto& [step, v] : t.intermediate_values) {
      now.intermediate[step] = v;
      auto o = old.intermediate.find(step);
      if (o != old.intermediate.end() && same_number(o->second, v)) continue;
      write_number(
          "INSERT OR REPLACE INTO trial_intermediate_values (trial_id, step, "
          "intermediate_value, intermediate_value_type) VALUES (?, ?, ?, ?)",
          t.trial_id, step, v);
    }
    delete_missing("DELETE FROM trial_intermediate_values WHERE trial_id = ? AND step = ?",
                   t.trial_id, old.intermediate,
                   [&](int64_t k) { return t.intermediate_values.count(k) > 0; });
    write_attrs(
        "INSERT OR REPLACE INTO trial_user_attributes (trial_id, \"key\", value_json) VALUES ",
        "DELETE FROM trial_user_attributes WHERE trial_id = ? AND \"key\" = ?", t.trial_id,
        t.user_attrs, old.user_attrs, now.user_attrs);
    write_attrs(
        "INSERT OR REPLACE INTO trial_system_attributes (trial_id, \"key\", value_json) "
        "VALUES ",
        "DELETE FROM trial_system_attributes WHERE trial_id = ? AND \"key\" = ?", t.trial_id,
        t.system_attrs, old.system_attrs, now.system_attrs);
    return now;
  }

  void remember(const FrozenTrial& t, WrittenRows&& rows) {
    if (!is_finished(t.state)) written_[t.trial_id] = std::move(rows);
  }

  // Inserts n rows with as few statements as possible (one per kRowsPerInsert rows): a
  // finishing trial's params and attributes each become one statement, not one per row.
  // bind(statement, first column of the row, row index) binds one row.
  template <typename Bind>
  void for_each_insert(const char* head, const char* row, size_t n, Bind&& bind) {
    constexpr size_t kRowsPerInsert = 64;
    for (size_t first = 0; first < n; first += kRowsPerInsert) {
      const size_t count = std::min(kRowsPerInsert, n - first);
      auto key = std::make_pair(head, count);
      auto it = multi_stmts_.find(key);
      if (it == multi_stmts_.end()) {
        std::string sql = head;
        for (size_t i = 0; i < count; ++i) sql += (i ? ", " : "") + std::string(row);
        it = multi_stmts_.emplace(key, stmt(intern(sql))).first;
      }
      sqlite3_stmt* st = it->second;
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
      const int per_row = static_cast<int>(std::count(row, row + std::strlen(row), '?'));
      for (size_t i = 0; i < count; ++i) bind(st, 1 + static_cast<int>(i) * per_row, first + i);
      step_done(st);
    }
  }

  void write_number(const char* sql, int64_t trial_id, int64_t key, double v) {
    auto* st = stmt(sql);
    sqlite3_bind_int64(st, 1, trial_id);
    sqlite3_bind_int64(st, 2, key);
    if (std::isfinite(v))
      sqlite3_bind_double(st, 3, v);
    else
      sqlite3_bind_null(st, 3);
    bind_text(st, 4, value_type(v));
    step_done(st);
  }

  void write_attrs(const char* insert_sql, const char* delete_sql, int64_t trial_id,
                   const Json& attrs, const std::map<std::string, std::string>& old,
                   std::map<std::string, std::string>& now) {
    std::vector<const std::pair<const std::string, std::string>*> changed;
    for (auto it = attrs.begin(); it != attrs.end(); ++it) {
      std::string text = it.value().dump();
      auto o = old.find(it.key());
      const bool same = o != old.end() && o->second == text;
      auto placed = now.emplace(it.key(), std::move(text)).first;
      if (!same) changed.push_back(&*placed);
    }
    for_each_insert(insert_sql, "(?, ?, ?)", changed.size(),
                    [&](sqlite3_stmt* st, int col, size_t i) {
                      sqlite3_bind_int64(st, col, trial_id);
                      bind_text(st, col + 1, changed[i]->first);
                      bind_text(st, col + 2, changed[i]->second);
                    });
    delete_missing(delete_sql, trial_id, old,
                   [&](const std::string& k) { return attrs.contains(k); });
  }

  const std::string& dist_json(const Distribution& d) {
    // Parameters of one study share few distributions; cache their JSON both ways.
    for (auto& [text, dist] : dist_cache_)
      if (dist == d) return text;
    auto it = dist_cache_.emplace(d.to_json().dump(), d).first;
    return it->first;
  }
  const Distribution& dist_from(const char* text) {
    auto it = dist_cache_.find(text);
    if (it != dist_cache_.end()) return it->second;
    return dist_cache_.emplace(text, Distribution::from_json(Json::parse(text))).first->second;
  }

  std::vector<FrozenTrial> changed_locked(int64_t study_id, int64_t& cursor) {
    auto* st = stmt("SELECT IFNULL(MAX(seq), 0) FROM chop_trial_changes");
    step_row(st);
    const int64_t new_cursor = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (new_cursor == cursor && cursor > 0) return {};
    // cursor 0 loads every trial (also those written by Optuna, which has no change log);
    // later reads touch only the rows of changed trials (indexed lookups, not scans).
    const bool full = cursor == 0;
    const std::string changed =
        " IN (SELECT trial_id FROM chop_trial_changes WHERE study_id = ?1 AND seq > ?2)";
    const std::string filter =
        full ? " WHERE t.study_id = ?1 AND ?2 = 0" : " WHERE t.trial_id" + changed;
    std::vector<FrozenTrial> out;
    std::unordered_map<int64_t, size_t> index;
    st =
        stmt(intern("SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete "
                    "FROM trials t" +
                    filter + " ORDER BY t.number"));
    sqlite3_bind_int64(st, 1, study_id);
    sqlite3_bind_int64(st, 2, cursor);
    while (step_row(st)) {
      FrozenTrial t;
      t.trial_id = sqlite3_column_int64(st, 0);
      t.number = sqlite3_column_int64(st, 1);
      t.state = parse_trial_state(reinterpret_cast<const char*>(sqlite3_column_text(st, 2)));
      t.datetime_start_ms = parse_datetime(sqlite3_column_text(st, 3));
      t.datetime_complete_ms = parse_datetime(sqlite3_column_text(st, 4));
      index[t.trial_id] = out.size();
      out.push_back(std::move(t));
    }
    if (out.empty()) {
      cursor = new_cursor;
      return out;
    }
    auto rows = [&](const std::string& select, const std::string& table) {
      auto* s = stmt(intern(full ? select + " FROM " + table +
                                       " x JOIN trials t ON x.trial_id = t.trial_id" + filter
                                 : select + " FROM " + table + " x WHERE x.trial_id" + changed));
      sqlite3_bind_int64(s, 1, study_id);
      sqlite3_bind_int64(s, 2, cursor);
      return s;
    };
    st =
        rows("SELECT x.trial_id, x.param_name, x.param_value, x.distribution_json", "trial_params");
    while (step_row(st)) {
      FrozenTrial& t = out[index.at(sqlite3_column_int64(st, 0))];
      const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
      t.params[name] = sqlite3_column_double(st, 2);
      t.distributions.emplace(name,
                              dist_from(reinterpret_cast<const char*>(sqlite3_column_text(st, 3))));
    }
    st = rows("SELECT x.trial_id, x.objective, x.value, x.value_type", "trial_values");
    while (step_row(st)) {
      FrozenTrial& t = out[index.at(sqlite3_column_int64(st, 0))];
      const auto k = static_cast<size_t>(sqlite3_column_int64(st, 1));
      if (t.values.size() <= k) t.values.resize(k + 1, NAN);
      t.values[k] = typed_value(st, 2, 3);
    }
    st = rows("SELECT x.trial_id, x.step, x.intermediate_value, x.intermediate_value_type",
              "trial_intermediate_values");
    while (step_row(st)) {
      FrozenTrial& t = out[index.at(sqlite3_column_int64(st, 0))];
      t.intermediate_values[sqlite3_column_int64(st, 1)] = typed_value(st, 2, 3);
    }
    for (int user = 0; user < 2; ++user) {
      st = rows("SELECT x.trial_id, x.\"key\", x.value_json",
                user ? "trial_user_attributes" : "trial_system_attributes");
      while (step_row(st)) {
        FrozenTrial& t = out[index.at(sqlite3_column_int64(st, 0))];
        (user ? t.user_attrs
              : t.system_attrs)[reinterpret_cast<const char*>(sqlite3_column_text(st, 1))] =
            Json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 2)));
      }
    }
    cursor = new_cursor;
    return out;
  }

  // Per study: Study objects reading it through this connection, the data version of their last
  // read (-1: none yet), and the newest change-log entry this connection wrote for it.
  struct StudySync {
    int readers = 0;
    int64_t data_version = -1;
    int64_t own_seq = 0;
  };

  std::string path_;
  sqlite3* db_ = nullptr;
  std::map<int64_t, StudySync> sync_;
  std::unordered_map<int64_t, WrittenRows> written_;  // by trial_id, unfinished trials only
  std::mutex mu_;
  // Prepared statements by SQL text address: every caller passes a string literal or an
  // interned string, so the lookup hashes a pointer instead of building a std::string.
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;
  std::map<std::pair<const char*, size_t>, sqlite3_stmt*> multi_stmts_;  // (head, rows): in stmts_
  std::map<std::string, std::string> interned_;
  std::map<std::string, Distribution> dist_cache_;
};

}  // namespace

std::shared_ptr<Storage> open_sqlite_storage(const std::string& path, int busy_timeout_ms) {
  return std::make_shared<SqliteStorage>(path, busy_timeout_ms);
}

}  // namespace chop::search
