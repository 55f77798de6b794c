// sql::Connection over PostgreSQL; see postgres_connection.h. Statements are prepared on the
// server once per session (re-prepared after a reconnection) and cached by SQL address.
#include "search/storages/postgres_connection.h"

#include <optional>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace chop::search::sql {
namespace {

// Optuna 3.x's tables as SQLAlchemy creates them on PostgreSQL (schema 12: native enum types,
// SERIAL keys, TIMESTAMP datetimes, double precision floats), so Optuna, optuna-dashboard and
// chop share one database either way round. chop adds chop_trial_changes (the change log that
// makes re-reads incremental), chop_config_claims (each configuration evaluated once across
// workers) and a unique (study_id, number) index: two trials of a study can never share a
// number, whatever happens.
const char* kTypes = R"SQL(
DO $$ BEGIN CREATE TYPE studydirection AS ENUM ('NOT_SET', 'MINIMIZE', 'MAXIMIZE');
  EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE TYPE trialstate AS ENUM ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING');
  EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE TYPE trialvaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG');
  EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE TYPE trialintermediatevaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG', 'NAN');
  EXCEPTION WHEN duplicate_object THEN NULL; END $$;
)SQL";

const char* kTables = R"SQL(
CREATE TABLE IF NOT EXISTS studies (study_id SERIAL NOT NULL, study_name VARCHAR(512) NOT NULL,
  PRIMARY KEY (study_id));
CREATE UNIQUE INDEX IF NOT EXISTS ix_studies_study_name ON studies (study_name);
CREATE TABLE IF NOT EXISTS version_info (version_info_id INTEGER NOT NULL, schema_version INTEGER,
  library_version VARCHAR(256), PRIMARY KEY (version_info_id), CHECK (version_info_id=1));
CREATE TABLE IF NOT EXISTS study_directions (study_direction_id SERIAL NOT NULL,
  direction studydirection NOT NULL, study_id INTEGER NOT NULL, objective INTEGER NOT NULL,
  PRIMARY KEY (study_direction_id), UNIQUE (study_id, objective),
  FOREIGN KEY(study_id) REFERENCES studies (study_id));
CREATE TABLE IF NOT EXISTS study_user_attributes (study_user_attribute_id SERIAL NOT NULL,
  study_id INTEGER, key VARCHAR(512), value_json TEXT, PRIMARY KEY (study_user_attribute_id),
  UNIQUE (study_id, key), FOREIGN KEY(study_id) REFERENCES studies (study_id));
CREATE TABLE IF NOT EXISTS study_system_attributes (study_system_attribute_id SERIAL NOT NULL,
  study_id INTEGER, key VARCHAR(512), value_json TEXT, PRIMARY KEY (study_system_attribute_id),
  UNIQUE (study_id, key), FOREIGN KEY(study_id) REFERENCES studies (study_id));
CREATE TABLE IF NOT EXISTS trials (trial_id SERIAL NOT NULL, number INTEGER, study_id INTEGER,
  state trialstate NOT NULL, datetime_start TIMESTAMP WITHOUT TIME ZONE,
  datetime_complete TIMESTAMP WITHOUT TIME ZONE, PRIMARY KEY (trial_id),
  FOREIGN KEY(study_id) REFERENCES studies (study_id));
CREATE INDEX IF NOT EXISTS ix_trials_study_id ON trials (study_id);
CREATE TABLE IF NOT EXISTS trial_user_attributes (trial_user_attribute_id SERIAL NOT NULL,
  trial_id INTEGER, key VARCHAR(512), value_json TEXT, PRIMARY KEY (trial_user_attribute_id),
  UNIQUE (trial_id, key), FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS trial_system_attributes (trial_system_attribute_id SERIAL NOT NULL,
  trial_id INTEGER, key VARCHAR(512), value_json TEXT,
  PRIMARY KEY (trial_system_attribute_id), UNIQUE (trial_id, key),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS trial_params (param_id SERIAL NOT NULL, trial_id INTEGER,
  param_name VARCHAR(512), param_value FLOAT, distribution_json TEXT, PRIMARY KEY (param_id),
  UNIQUE (trial_id, param_name), FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS trial_values (trial_value_id SERIAL NOT NULL,
  trial_id INTEGER NOT NULL, objective INTEGER NOT NULL, value FLOAT,
  value_type trialvaluetype NOT NULL, PRIMARY KEY (trial_value_id), UNIQUE (trial_id, objective),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS trial_intermediate_values (
  trial_intermediate_value_id SERIAL NOT NULL, trial_id INTEGER NOT NULL, step INTEGER NOT NULL,
  intermediate_value FLOAT, intermediate_value_type trialintermediatevaluetype NOT NULL,
  PRIMARY KEY (trial_intermediate_value_id), UNIQUE (trial_id, step),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS trial_heartbeats (trial_heartbeat_id SERIAL NOT NULL,
  trial_id INTEGER NOT NULL, heartbeat TIMESTAMP WITHOUT TIME ZONE NOT NULL,
  PRIMARY KEY (trial_heartbeat_id), UNIQUE (trial_id),
  FOREIGN KEY(trial_id) REFERENCES trials (trial_id));
CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
)SQL";

// chop's additions, also on databases Optuna created.
const char* kChopTables = R"SQL(
CREATE TABLE IF NOT EXISTS chop_trial_changes (seq SERIAL PRIMARY KEY,
  study_id INTEGER NOT NULL, trial_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chop_ix_changes_study ON chop_trial_changes (study_id, seq);
CREATE UNIQUE INDEX IF NOT EXISTS chop_ix_trials_study ON trials (study_id, number);
CREATE TABLE IF NOT EXISTS chop_config_claims (study_id INTEGER NOT NULL,
  config_key VARCHAR(64) NOT NULL, trial_id INTEGER NOT NULL,
  PRIMARY KEY (study_id, config_key));
)SQL";

class PostgresConnection;

class PostgresStatement : public Statement {
 public:
  PostgresStatement(pg::PgConnection& pg, std::string sql) : pg_(pg), sql_(std::move(sql)) {}

  void bind_int(int i, int64_t v) override { slot(i) = pg::PgParam(v); }
  void bind_double(int i, double v) override { slot(i) = pg::PgParam(v); }
  void bind_text(int i, std::string_view v) override { slot(i) = pg::PgParam(std::string(v)); }
  void bind_null(int i) override { slot(i) = pg::PgParam(nullptr); }

  bool next_row() override {
    if (!result_) {
      result_.emplace(pg_.exec(sql_, params_));
      row_ = -1;
    }
    return ++row_ < result_->rows();
  }
  int64_t run() override {
    const int64_t n = pg_.exec(sql_, params_).affected();
    reset();
    return n;
  }
  int64_t run_insert() override {
    // The id the INSERT's serial just drew (this session's lastval), in the same round trip.
    if (returning_.empty()) returning_ = sql_ + " RETURNING lastval()";
    const pg::PgResult r = pg_.exec(returning_, params_);
    reset();
    return r.int64(0, 0);
  }
  void reset() override { result_.reset(); }
  int64_t column_int(int i) override { return result_->int64(row_, i); }
  double column_double(int i) override { return result_->number(row_, i); }
  const char* column_text(int i) override {
    return result_->is_null(row_, i) ? nullptr : result_->raw(row_, i);
  }

  void clear() {
    result_.reset();
    params_.clear();
  }

 private:
  pg::PgParam& slot(int i) {
    if (static_cast<int>(params_.size()) < i) params_.resize(static_cast<size_t>(i), nullptr);
    return params_[static_cast<size_t>(i - 1)];
  }

  pg::PgConnection& pg_;
  std::string sql_, returning_;
  std::vector<pg::PgParam> params_;
  std::optional<pg::PgResult> result_;
  int row_ = -1;
};

class PostgresConnection : public Connection {
 public:
  PostgresConnection(const std::string& url, const pg::PgRetryPolicy& retry)
      : pg_(pg::parse_pg_url(url), retry), target_(pg_.describe()) {
    if (pg_.server_major_version() < 10)
      throw UserError("the study database " + target_ +
                      " runs PostgreSQL older than 10; chop needs 10 or newer");
  }

  Statement& prepare(const char* sql) override {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) {
      it->second->clear();
      return *it->second;
    }
    auto st = std::make_unique<PostgresStatement>(pg_, to_dollar_placeholders(sql));
    return *stmts_.emplace(sql, std::move(st)).first->second;
  }

  void exec(const std::string& sql) override { pg_.exec_simple(sql); }

  void run_transaction(const std::function<void(bool)>& attempt) override {
    pg_.run_with_retry(attempt);
  }

  // Writers are serialised where it matters by row locks (lock_study_sql, the change log).
  void begin_write() override { pg_.exec_simple("BEGIN"); }
  void begin_read() override { pg_.exec_simple("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  void commit() override { pg_.commit(); }
  void rollback() noexcept override { pg_.rollback(); }

  void create_tables_if_missing() override {
    // Workers starting together must not race on CREATE TYPE/TABLE (PostgreSQL's IF NOT EXISTS
    // is not atomic): one creates, the others wait and find the tables.
    pg_.exec_simple("SELECT pg_advisory_xact_lock(7305183194413410014)");
    // chop's newest table: present means everything is (additions only ever add tables).
    const pg::PgResult has = pg_.exec("SELECT to_regclass('chop_config_claims') IS NOT NULL");
    if (has.text(0, 0) == "t") return;
    pg_.exec_simple(kTypes);
    pg_.exec_simple(kTables);
    pg_.exec_simple(kChopTables);
  }

  std::optional<int64_t> data_version() override { return std::nullopt; }

  const char* lock_study_sql() const override {
    return "SELECT study_id FROM studies WHERE study_id = ? FOR UPDATE";
  }
  // Sequence values are drawn at INSERT time but become visible at COMMIT: without this lock a
  // reader could see seq 11 before seq 10 commits and skip 10 for ever. Readers never wait.
  const char* change_log_lock_sql() const override {
    return "LOCK TABLE chop_trial_changes IN EXCLUSIVE MODE";
  }

  // The session's (server default) time zone, as Optuna's sessions write heartbeats.
  const char* server_now_sql() const override { return "LOCALTIMESTAMP"; }

  const std::string& target() const override { return target_; }
  std::string describe() const override { return target_; }

 private:
  pg::PgConnection pg_;
  std::string target_;
  std::unordered_map<const char*, std::unique_ptr<PostgresStatement>> stmts_;
};

}  // namespace

std::string to_dollar_placeholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  int next = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
    if (j > i + 1) {
      out += "$" + sql.substr(i + 1, j - i - 1);
      i = j - 1;
    } else {
      out += "$" + std::to_string(++next);
    }
  }
  return out;
}

std::unique_ptr<Connection> open_postgres_connection(const std::string& url,
                                                     const pg::PgRetryPolicy& retry) {
  return std::make_unique<PostgresConnection>(url, retry);
}

}  // namespace chop::search::sql
