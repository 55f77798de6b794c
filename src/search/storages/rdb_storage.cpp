// Studies, their directions and attributes, trial creation and claims in Optuna's RDB layout;
// see rdb_storage.h. The SQL is the subset SQLite (3.35+) and PostgreSQL share: `?` placeholders
// (the connection translates), ON CONFLICT upserts.
#include "search/storages/rdb_storage.h"

#include <algorithm>

#include "core/error.h"
#include "search/storages/rdb_values.h"

namespace chop::search {

std::shared_ptr<Storage> make_rdb_storage(std::unique_ptr<sql::Connection> conn) {
  return std::make_shared<rdb::RdbStorage>(std::move(conn));
}

namespace rdb {

RdbStorage::RdbStorage(std::unique_ptr<sql::Connection> conn) : conn_(std::move(conn)) {
  WriteTxn txn(*conn_);
  conn_->create_tables_if_missing();
  // The versions Optuna 3.1 checks before it opens a study file.
  conn_
      ->prepare(
          "INSERT INTO version_info (version_info_id, schema_version, library_version) "
          "VALUES (1, 12, '3.1.0') ON CONFLICT DO NOTHING")
      .run();
  conn_
      ->prepare(
          "INSERT INTO alembic_version (version_num) SELECT 'v3.0.0.d' "
          "WHERE NOT EXISTS (SELECT 1 FROM alembic_version)")
      .run();
  txn.commit();
}

int64_t RdbStorage::create_or_load_study(const std::string& name,
                                         const std::vector<Direction>& directions,
                                         bool load_if_exists) {
  std::lock_guard<std::mutex> lock(mu_);
  WriteTxn txn(*conn_);
  sql::Statement* st = &conn_->prepare("SELECT study_id FROM studies WHERE study_name = ?");
  st->bind_text(1, name);
  if (st->next_row()) {
    const int64_t id = st->column_int(0);
    st->reset();
    if (!load_if_exists)
      throw UserError("study '" + name + "' already exists in " + conn_->target());
    const auto stored = directions_locked(id);
    if (stored != directions)
      throw UserError("study '" + name + "' in " + conn_->target() + " has " +
                      std::to_string(stored.size()) +
                      " direction(s) that differ from the requested ones; use another study "
                      "name or the same directions");
    txn.commit();
    ++sync_[id].readers;
    return id;
  }
  st = &conn_->prepare("INSERT INTO studies (study_name) VALUES (?)");
  st->bind_text(1, name);
  const int64_t id = st->run_insert();
  for (size_t k = 0; k < directions.size(); ++k) {
    st = &conn_->prepare(
        "INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, ?)");
    st->bind_text(1, directions[k] == Direction::kMinimize ? "MINIMIZE" : "MAXIMIZE");
    st->bind_int(2, id);
    st->bind_int(3, static_cast<int64_t>(k));
    st->run();
  }
  txn.commit();
  ++sync_[id].readers;
  return id;
}

std::vector<Direction> RdbStorage::study_directions(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return directions_locked(study_id);
}

std::vector<Direction> RdbStorage::directions_locked(int64_t id) {
  std::vector<Direction> out;
  auto& st = conn_->prepare(
      "SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective");
  st.bind_int(1, id);
  while (st.next_row())
    out.push_back(std::string(st.column_text(0)) == "MAXIMIZE" ? Direction::kMaximize
                                                               : Direction::kMinimize);
  return out;
}

std::vector<std::string> RdbStorage::study_names() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  auto& st = conn_->prepare("SELECT study_name FROM studies ORDER BY study_id");
  while (st.next_row()) out.push_back(st.column_text(0));
  return out;
}

void RdbStorage::set_study_system_attr(int64_t id, const std::string& key, const Json& v) {
  set_study_attr("study_system_attributes", id, key, v);
}
Json RdbStorage::study_system_attrs(int64_t id) {
  return study_attrs("study_system_attributes", id);
}
void RdbStorage::set_study_user_attr(int64_t id, const std::string& key, const Json& v) {
  set_study_attr("study_user_attributes", id, key, v);
}
Json RdbStorage::study_user_attrs(int64_t id) {
  return study_attrs("study_user_attributes", id);
}

void RdbStorage::set_study_attr(const std::string& table, int64_t id, const std::string& key,
                                const Json& v) {
  std::lock_guard<std::mutex> lock(mu_);
  WriteTxn txn(*conn_);
  auto& st = conn_->prepare(conn_->intern(
      "INSERT INTO " + table +
      " (study_id, \"key\", value_json) VALUES (?, ?, ?) "
      "ON CONFLICT (study_id, \"key\") DO UPDATE SET value_json = excluded.value_json"));
  st.bind_int(1, id);
  st.bind_text(2, key);
  st.bind_text(3, v.dump());
  st.run();
  txn.commit();
}

Json RdbStorage::study_attrs(const std::string& table, int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  Json out = Json::object();
  auto& st = conn_->prepare(
      conn_->intern("SELECT \"key\", value_json FROM " + table + " WHERE study_id = ?"));
  st.bind_int(1, id);
  while (st.next_row()) out[st.column_text(0)] = Json::parse(st.column_text(1));
  return out;
}

FrozenTrial RdbStorage::create_trial(int64_t study_id, const FrozenTrial& tmpl) {
  std::lock_guard<std::mutex> lock(mu_);
  WriteTxn txn(*conn_);
  if (const char* lock_sql = conn_->lock_study_sql()) {
    auto& st = conn_->prepare(lock_sql);
    st.bind_int(1, study_id);
    while (st.next_row()) {
    }
  }
  // Numbers are contiguous, so max + 1 is the count (an index lookup, not a scan).
  sql::Statement* st =
      &conn_->prepare("SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study_id = ?");
  st->bind_int(1, study_id);
  st->next_row();
  FrozenTrial t = tmpl;
  t.number = st->column_int(0);
  st->reset();
  st = &conn_->prepare(
      "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
      "VALUES (?, ?, ?, ?, ?)");
  st->bind_int(1, t.number);
  st->bind_int(2, study_id);
  st->bind_text(3, to_string(t.state));
  bind_datetime(*st, 4, t.datetime_start_ms);
  bind_datetime(*st, 5, t.datetime_complete_ms);
  t.trial_id = st->run_insert();
  WrittenRows rows = write_children(t, false);
  log_change(study_id, t.trial_id);
  txn.commit();
  remember(t, std::move(rows));
  return t;
}

bool RdbStorage::write_trial(int64_t study_id, const FrozenTrial& t) {
  std::lock_guard<std::mutex> lock(mu_);
  WriteTxn txn(*conn_);
  sql::Statement* st = &conn_->prepare("SELECT state FROM trials WHERE trial_id = ?");
  st->bind_int(1, t.trial_id);
  if (!st->next_row()) {
    st->reset();
    throw DataError(conn_->target(),
                    "trial " + std::to_string(t.number) + " vanished from the database");
  }
  const TrialState stored = parse_trial_state(st->column_text(0));
  st->reset();
  if (is_finished(stored)) return false;  // WriteTxn rolls back
  st = &conn_->prepare(
      "UPDATE trials SET state = ?, datetime_start = ?, datetime_complete = ? "
      "WHERE trial_id = ?");
  st->bind_text(1, to_string(t.state));
  bind_datetime(*st, 2, t.datetime_start_ms);
  bind_datetime(*st, 3, t.datetime_complete_ms);
  st->bind_int(4, t.trial_id);
  st->run();
  WrittenRows rows = write_children(t, true);
  log_change(study_id, t.trial_id);
  txn.commit();
  remember(t, std::move(rows));
  return true;
}

bool RdbStorage::claim_waiting_trial(int64_t study_id, int64_t trial_id, int64_t start_ms,
                                     const Json& system_attrs) {
  std::lock_guard<std::mutex> lock(mu_);
  WriteTxn txn(*conn_);
  sql::Statement* st = &conn_->prepare(
      "UPDATE trials SET state = 'RUNNING', datetime_start = ? "
      "WHERE trial_id = ? AND state = 'WAITING'");
  bind_datetime(*st, 1, start_ms);
  st->bind_int(2, trial_id);
  if (st->run() == 0) return false;
  written_.erase(trial_id);  // rows written here, not by write_children
  for (auto it = system_attrs.begin(); it != system_attrs.end(); ++it) {
    st = &conn_->prepare(
        "INSERT INTO trial_system_attributes (trial_id, \"key\", value_json) VALUES (?, ?, ?) "
        "ON CONFLICT (trial_id, \"key\") DO UPDATE SET value_json = excluded.value_json");
    st->bind_int(1, trial_id);
    st->bind_text(2, it.key());
    st->bind_text(3, it.value().dump());
    st->run();
  }
  log_change(study_id, trial_id);
  txn.commit();
  return true;
}

void RdbStorage::log_change(int64_t study_id, int64_t trial_id) {
  auto& st = conn_->prepare("INSERT INTO chop_trial_changes (study_id, trial_id) VALUES (?, ?)");
  st.bind_int(1, study_id);
  st.bind_int(2, trial_id);
  const int64_t seq = st.run_insert();
  StudySync& sync = sync_[study_id];
  sync.own_seq = std::max<int64_t>(sync.own_seq, seq);
}

std::vector<FrozenTrial> RdbStorage::changed_trials(int64_t study_id, int64_t& cursor) {
  std::lock_guard<std::mutex> lock(mu_);
  StudySync& sync = sync_[study_id];
  // With one reader of this study on this connection and no commit by any other connection
  // since its last read, every change since `cursor` is one this reader wrote itself and
  // already holds in memory: skip the read (most of a lone search's storage time).
  if (cursor > 0 && sync.readers == 1 && sync.data_version >= 0) {
    const std::optional<int64_t> version = conn_->data_version();
    if (version && *version == sync.data_version) {
      cursor = std::max(cursor, sync.own_seq);
      return {};
    }
  }
  conn_->begin_read();  // one read snapshot for the cursor, the data version and the rows
  try {
    sync.data_version = conn_->data_version().value_or(-1);
    auto out = changed_locked(study_id, cursor);
    conn_->commit();
    return out;
  } catch (...) {
    conn_->rollback();
    sync.data_version = -1;
    throw;
  }
}

void bind_datetime(sql::Statement& st, int i, int64_t ms) {
  if (ms <= 0)
    st.bind_null(i);
  else
    st.bind_text(i, format_datetime(ms));
}

}  // namespace rdb
}  // namespace chop::search
