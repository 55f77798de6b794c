// Studies, their directions and attributes, trial creation and claims in Optuna's RDB layout;
// see rdb_storage.h. The SQL is the subset SQLite (3.35+) and PostgreSQL share: `?` placeholders
// (the connection translates), ON CONFLICT upserts. Every operation is one transaction run
// through Connection::run_transaction, so a connection to a server may re-run it whole after a
// lost connection; bodies are idempotent or check `commit_uncertain`.
#include "search/storages/rdb_storage.h"

#include <algorithm>

#include "core/error.h"
#include "search/storages/rdb_values.h"

namespace chop::search {

std::shared_ptr<Storage> make_rdb_storage(std::unique_ptr<sql::Connection> conn) {
  return std::make_shared<rdb::RdbStorage>(std::move(conn));
}

namespace rdb {
namespace {

// Optuna schemas whose tables and columns are the ones chop reads and writes (Optuna 3.0-3.x).
bool known_schema(const std::string& alembic) {
  return alembic == "v3.0.0.d" || alembic == "v3.2.0.a";
}

}  // namespace

RdbStorage::RdbStorage(std::unique_ptr<sql::Connection> conn) : conn_(std::move(conn)) {
  std::string alembic;
  conn_->run_transaction([&](bool) {
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
    auto& st = conn_->prepare("SELECT version_num FROM alembic_version");
    alembic = st.next_row() ? st.column_text(0) : "";
    st.reset();
    txn.commit();
  });
  if (!known_schema(alembic))
    throw UserError("the study database " + conn_->target() + " has Optuna schema '" + alembic +
                    "'; chop reads and writes Optuna 3.x's (v3.0.0.d): upgrade an older one with "
                    "`optuna storage upgrade --storage URL`, or use a new database");
}

int64_t RdbStorage::create_or_load_study(const std::string& name,
                                         const std::vector<Direction>& directions,
                                         bool load_if_exists) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t id = -1;
  conn_->run_transaction([&](bool commit_uncertain) {
    WriteTxn txn(*conn_);
    // Insert-if-absent first: workers starting together all find the one study.
    sql::Statement* st = &conn_->prepare(
        "INSERT INTO studies (study_name) VALUES (?) ON CONFLICT (study_name) DO NOTHING");
    st->bind_text(1, name);
    const bool created = st->run() == 1;
    st = &conn_->prepare("SELECT study_id FROM studies WHERE study_name = ?");
    st->bind_text(1, name);
    if (!st->next_row()) throw DataError(conn_->target(), "study '" + name + "' vanished");
    id = st->column_int(0);
    st->reset();
    if (!created) {
      // (An uncertain earlier attempt may have created it: then it is ours, not a clash.)
      if (!load_if_exists && !commit_uncertain)
        throw UserError("study '" + name + "' already exists in " + conn_->target());
      const auto stored = directions_locked(id);
      if (stored != directions)
        throw UserError("study '" + name + "' in " + conn_->target() + " has " +
                        std::to_string(stored.size()) +
                        " direction(s) that differ from the requested ones; use another study "
                        "name or the same directions");
      txn.commit();
      return;
    }
    for (size_t k = 0; k < directions.size(); ++k) {
      st = &conn_->prepare(
          "INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, ?)");
      st->bind_text(1, directions[k] == Direction::kMinimize ? "MINIMIZE" : "MAXIMIZE");
      st->bind_int(2, id);
      st->bind_int(3, static_cast<int64_t>(k));
      st->run();
    }
    txn.commit();
  });
  ++sync_[id].readers;
  return id;
}

std::vector<Direction> RdbStorage::study_directions(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Direction> out;
  conn_->run_transaction([&](bool) {
    ReadTxn txn(*conn_);
    out = directions_locked(study_id);
    txn.commit();
  });
  return out;
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
  conn_->run_transaction([&](bool) {
    out.clear();
    ReadTxn txn(*conn_);
    auto& st = conn_->prepare("SELECT study_name FROM studies ORDER BY study_id");
    while (st.next_row()) out.push_back(st.column_text(0));
    txn.commit();
  });
  return out;
}

std::optional<int64_t> RdbStorage::study_id_from_name(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& st = conn_->prepare("SELECT study_id FROM studies WHERE study_name = ?");
  st.bind_text(1, name);
  std::optional<int64_t> id;
  if (st.next_row()) id = st.column_int(0);
  st.reset();
  return id;
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
  const char* sql = conn_->intern(
      "INSERT INTO " + table +
      " (study_id, \"key\", value_json) VALUES (?, ?, ?) "
      "ON CONFLICT (study_id, \"key\") DO UPDATE SET value_json = excluded.value_json");
  conn_->run_transaction([&](bool) {
    WriteTxn txn(*conn_);
    auto& st = conn_->prepare(sql);
    st.bind_int(1, id);
    st.bind_text(2, key);
    st.bind_text(3, v.dump());
    st.run();
    txn.commit();
  });
}

Json RdbStorage::study_attrs(const std::string& table, int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  Json out = Json::object();
  const char* sql =
      conn_->intern("SELECT \"key\", value_json FROM " + table + " WHERE study_id = ?");
  conn_->run_transaction([&](bool) {
    out = Json::object();
    ReadTxn txn(*conn_);
    auto& st = conn_->prepare(sql);
    st.bind_int(1, id);
    while (st.next_row()) out[st.column_text(0)] = Json::parse(st.column_text(1));
    txn.commit();
  });
  return out;
}

void RdbStorage::lock_study(int64_t study_id) {
  if (const char* lock_sql = conn_->lock_study_sql()) {
    auto& st = conn_->prepare(lock_sql);
    st.bind_int(1, study_id);
    while (st.next_row()) {
    }
  }
}

FrozenTrial RdbStorage::create_locked(int64_t study_id, const FrozenTrial& tmpl,
                                      WrittenRows& rows) {
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
  rows = write_children(t, false);
  log_change(study_id, t.trial_id);
  return t;
}

// After a COMMIT that got no answer: the trial that attempt created, if it did (same worker,
// same start time, in this study).
std::optional<FrozenTrial> RdbStorage::find_created_locked(int64_t study_id,
                                                           const FrozenTrial& tmpl) {
  if (tmpl.datetime_start_ms <= 0 || !tmpl.system_attrs.contains("chop:worker"))
    return std::nullopt;
  auto& st = conn_->prepare(
      "SELECT t.trial_id, t.number FROM trials t JOIN trial_system_attributes a "
      "ON a.trial_id = t.trial_id WHERE t.study_id = ? AND t.datetime_start = ? "
      "AND a.\"key\" = 'chop:worker' AND a.value_json = ?");
  st.bind_int(1, study_id);
  st.bind_text(2, format_datetime(tmpl.datetime_start_ms));
  st.bind_text(3, tmpl.system_attrs["chop:worker"].dump());
  if (!st.next_row()) return std::nullopt;
  FrozenTrial t = tmpl;
  t.trial_id = st.column_int(0);
  t.number = st.column_int(1);
  st.reset();
  return t;
}

int64_t RdbStorage::counted_trials_locked(int64_t study_id) {
  // Retries of failed trials come on top (the failed one already counts).
  auto& st = conn_->prepare(
      "SELECT COUNT(*) FROM trials t WHERE t.study_id = ? AND t.state <> 'WAITING' AND "
      "NOT EXISTS (SELECT 1 FROM trial_system_attributes a WHERE a.trial_id = t.trial_id "
      "AND a.\"key\" = 'failed_trial')");
  st.bind_int(1, study_id);
  st.next_row();
  const int64_t n = st.column_int(0);
  st.reset();
  return n;
}

FrozenTrial RdbStorage::create_trial(int64_t study_id, const FrozenTrial& tmpl, int64_t max_trials,
                                     bool first_heartbeat) {
  std::lock_guard<std::mutex> lock(mu_);
  FrozenTrial t;
  WrittenRows rows;
  bool fresh = false;
  conn_->run_transaction([&](bool commit_uncertain) {
    fresh = false;
    WriteTxn txn(*conn_);
    lock_study(study_id);
    if (commit_uncertain) {
      if (auto found = find_created_locked(study_id, tmpl)) {
        t = *found;
        if (first_heartbeat) beat_locked(t.trial_id);
        txn.commit();
        return;
      }
    }
    if (max_trials >= 0) {
      if (counted_trials_locked(study_id) >= max_trials) {
        t = tmpl;
        t.number = -1;
        return;  // nothing written; WriteTxn rolls back
      }
    }
    t = create_locked(study_id, tmpl, rows);
    if (first_heartbeat) beat_locked(t.trial_id);
    note_version_locked();
    txn.commit();
    fresh = true;
  });
  if (fresh) remember(t, std::move(rows));
  return t;
}

bool RdbStorage::update_trial_locked(int64_t study_id, const FrozenTrial& t, WrittenRows& rows) {
  // A finished trial is never changed again; the state check is part of the UPDATE, so a
  // worker finishing a trial and another failing it as stale cannot both win.
  sql::Statement& st = conn_->prepare(
      "UPDATE trials SET state = ?, datetime_start = ?, datetime_complete = ? "
      "WHERE trial_id = ? AND state IN ('RUNNING', 'WAITING')");
  st.bind_text(1, to_string(t.state));
  bind_datetime(st, 2, t.datetime_start_ms);
  bind_datetime(st, 3, t.datetime_complete_ms);
  st.bind_int(4, t.trial_id);
  if (st.run() == 0) return false;
  rows = write_children(t, true);
  log_change(study_id, t.trial_id);
  return true;
}

void RdbStorage::note_version_locked() {
  recent_version_ = conn_->data_version();
  recent_version_at_ = std::chrono::steady_clock::now();
}

std::optional<int64_t> RdbStorage::recent_version() const {
  if (recent_version_ &&
      std::chrono::steady_clock::now() - recent_version_at_ < kRecentVersionFresh)
    return recent_version_;
  return std::nullopt;
}

bool RdbStorage::write_trial(int64_t study_id, const FrozenTrial& t) {
  std::lock_guard<std::mutex> lock(mu_);
  bool written = false;
  WrittenRows rows;
  conn_->run_transaction([&](bool commit_uncertain) {
    written = false;
    WriteTxn txn(*conn_);
    if (update_trial_locked(study_id, t, rows)) {
      note_version_locked();  // the next ask's stale-trial scan may need no read
      finished_version_ = recent_version_;
      finished_version_at_ = recent_version_at_;
      recent_version_.reset();
      txn.commit();
      written = true;
      return;
    }
    sql::Statement& st =
        conn_->prepare("SELECT state, datetime_complete FROM trials WHERE trial_id = ?");
    st.bind_int(1, t.trial_id);
    if (!st.next_row())
      throw DataError(conn_->target(),
                      "trial " + std::to_string(t.number) + " vanished from the database");
    // Our own finishing write whose COMMIT got no answer did commit.
    written = commit_uncertain && parse_trial_state(st.column_text(0)) == t.state &&
              parse_datetime(st.column_text(1)) == t.datetime_complete_ms;
    st.reset();
  });  // unless committed, WriteTxn rolls back
  if (written) remember(t, std::move(rows));
  return written;
}

bool RdbStorage::claim_waiting_trial(int64_t study_id, int64_t trial_id, int64_t start_ms,
                                     const Json& system_attrs) {
  std::lock_guard<std::mutex> lock(mu_);
  bool claimed = false;
  conn_->run_transaction([&](bool commit_uncertain) {
    claimed = false;
    WriteTxn txn(*conn_);
    sql::Statement* st = &conn_->prepare(
        "UPDATE trials SET state = 'RUNNING', datetime_start = ? "
        "WHERE trial_id = ? AND state = 'WAITING'");
    bind_datetime(*st, 1, start_ms);
    st->bind_int(2, trial_id);
    if (st->run() == 0) {
      if (commit_uncertain) {
        st = &conn_->prepare("SELECT state, datetime_start FROM trials WHERE trial_id = ?");
        st->bind_int(1, trial_id);
        claimed = st->next_row() && parse_trial_state(st->column_text(0)) == TrialState::kRunning &&
                  parse_datetime(st->column_text(1)) == start_ms;
        st->reset();
      }
      return;
    }
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
    claimed = true;
  });
  if (claimed) written_.erase(trial_id);  // rows written here, not by write_children
  return claimed;
}

void RdbStorage::log_change(int64_t study_id, int64_t trial_id) {
  if (const char* lock_sql = conn_->change_log_lock_sql()) conn_->prepare(lock_sql).run();
  auto& st = conn_->prepare("INSERT INTO chop_trial_changes (study_id, trial_id) VALUES (?, ?)");
  st.bind_int(1, study_id);
  st.bind_int(2, trial_id);
  const int64_t seq = st.run_insert();
  // A version noted before this entry cannot vouch for it: others' entries may precede it.
  recent_version_.reset();
  finished_version_.reset();
  StudySync& sync = sync_[study_id];
  sync.own_seq = std::max<int64_t>(sync.own_seq, seq);
}

std::vector<FrozenTrial> RdbStorage::changed_trials(int64_t study_id, int64_t& cursor) {
  std::lock_guard<std::mutex> lock(mu_);
  StudySync& sync = sync_[study_id];
  // With one reader of this study on this connection and no commit by any other connection
  // since its last read, every change since `cursor` is one this reader wrote itself and
  // already holds in memory: skip the read (most of a lone search's storage time).
  const std::optional<int64_t> recent = recent_version();
  recent_version_.reset();
  if (cursor > 0 && sync.readers == 1 && sync.data_version >= 0) {
    const std::optional<int64_t> version = recent ? recent : conn_->data_version();
    if (version && *version == sync.data_version) {
      cursor = std::max(cursor, sync.own_seq);
      return {};
    }
  }
  std::vector<FrozenTrial> out;
  const int64_t start_cursor = cursor;
  try {
    conn_->run_transaction([&](bool) {
      cursor = start_cursor;
      ReadTxn txn(*conn_);  // one read snapshot for the cursor, the data version and the rows
      sync.data_version = conn_->data_version().value_or(-1);
      out = changed_locked(study_id, cursor);
      txn.commit();
    });
  } catch (...) {
    sync.data_version = -1;
    throw;
  }
  return out;
}

void bind_datetime(sql::Statement& st, int i, int64_t ms) {
  if (ms <= 0)
    st.bind_null(i);
  else
    st.bind_text(i, format_datetime(ms));
}

}  // namespace rdb
}  // namespace chop::search
