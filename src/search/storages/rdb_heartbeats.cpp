// Heartbeats and stale trials in Optuna's trial_heartbeats table, by the database's clock (as
// Optuna: written and judged by the server's clock, so workers' clocks never
// matter); see rdb_storage.h and stale_trials.h.
#include <utility>

#include "search/storages/rdb_storage.h"
#include "search/storages/rdb_values.h"
#include "search/storages/stale_trials.h"

namespace chop::search::rdb {
namespace {

// Ids of the study's RUNNING trials whose last heartbeat is older than the grace period, judged
// in milliseconds by the server's clock. Almost every scan finds no RUNNING trial with a
// heartbeat: the clock is read only when one exists, and both texts are read as one naive clock
// (naive_datetime_ms: no time-zone lookup).
std::vector<int64_t> stale_running_trials(sql::Connection& conn, int64_t study_id, double grace_s) {
  sql::Statement* st = &conn.prepare(
      "SELECT t.trial_id, h.heartbeat FROM trials t JOIN trial_heartbeats h "
      "ON h.trial_id = t.trial_id WHERE t.study_id = ? AND t.state = 'RUNNING'");
  st->bind_int(1, study_id);
  std::vector<std::pair<int64_t, int64_t>> beats;  // trial id, last heartbeat
  while (st->next_row())
    beats.emplace_back(st->column_int(0), naive_datetime_ms(st->column_text(1)));
  std::vector<int64_t> stale;
  if (beats.empty()) return stale;
  st = &conn.prepare(conn.intern(std::string("SELECT ") + conn.server_now_sql()));
  st->next_row();
  const int64_t server_now_ms = naive_datetime_ms(st->column_text(0));
  st->reset();
  const auto grace_ms = static_cast<int64_t>(grace_s * 1000);
  for (const auto& [id, beat_ms] : beats)
    if (server_now_ms - beat_ms > grace_ms) stale.push_back(id);
  return stale;
}

}  // namespace

void RdbStorage::beat_locked(int64_t trial_id) {
  const std::string now = conn_->server_now_sql();
  auto& st = conn_->prepare(
      conn_->intern("INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, " + now +
                    ") ON CONFLICT (trial_id) DO UPDATE SET heartbeat = " + now));
  st.bind_int(1, trial_id);
  st.run();
}

void RdbStorage::record_heartbeats(const std::vector<int64_t>& trial_ids) {
  if (trial_ids.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  conn_->run_transaction([&](bool) {
    WriteTxn txn(*conn_);
    for (const int64_t id : trial_ids) beat_locked(id);
    txn.commit();
  });
}

std::vector<FrozenTrial> RdbStorage::fail_stale_trials(int64_t study_id, double grace_s,
                                                       int max_retry, bool none_running_seen) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FrozenTrial> failed;
  // Nothing RUNNING at our last read, and nothing committed by others up to our last finishing
  // write, milliseconds ago: a trial RUNNING now started since, so its heartbeat is younger
  // than any grace period. (A lone search asks this way every trial: no scan.)
  const std::optional<int64_t> finished = finished_version_;
  const bool finished_fresh =
      std::chrono::steady_clock::now() - finished_version_at_ < kRecentVersionFresh;
  finished_version_.reset();
  const StudySync& sync = sync_[study_id];
  if (none_running_seen && finished && finished_fresh && grace_s > 0.1 && sync.readers == 1 &&
      sync.data_version >= 0 && *finished == sync.data_version)
    return failed;
  // Every ask scans, and almost every scan finds nothing: look in a read snapshot first, so such
  // a scan takes no write lock and commits nothing (it was one of a trial's ~5 write
  // transactions). What it finds is checked again under the write lock below.
  bool any_stale = false;
  conn_->run_transaction([&](bool) {
    ReadTxn txn(*conn_);
    any_stale = !stale_running_trials(*conn_, study_id, grace_s).empty();
    note_version_locked();  // the Study's sync that follows needs no read of its own
    txn.commit();
  });
  if (!any_stale) return failed;
  conn_->run_transaction([&](bool) {
    failed.clear();
    WriteTxn txn(*conn_);
    const std::vector<int64_t> stale = stale_running_trials(*conn_, study_id, grace_s);
    if (stale.empty()) return;  // nothing written
    bool locked = false;
    for (const FrozenTrial& running : read_trials_locked(stale)) {
      const FrozenTrial t = stale_trial_failed(running, grace_s, now_ms());
      // The state check makes exactly one worker the one that fails (and re-queues) it.
      sql::Statement* st = &conn_->prepare(
          "UPDATE trials SET state = 'FAIL', datetime_complete = ? "
          "WHERE trial_id = ? AND state = 'RUNNING'");
      bind_datetime(*st, 1, t.datetime_complete_ms);
      st->bind_int(2, t.trial_id);
      if (st->run() == 0) continue;
      st = &conn_->prepare(
          "INSERT INTO trial_system_attributes (trial_id, \"key\", value_json) VALUES (?, ?, ?) "
          "ON CONFLICT (trial_id, \"key\") DO UPDATE SET value_json = excluded.value_json");
      st->bind_int(1, t.trial_id);
      st->bind_text(2, "fail_reason");
      st->bind_text(3, t.system_attrs["fail_reason"].dump());
      st->run();
      log_change(study_id, t.trial_id);
      failed.push_back(t);
      if (auto retry = stale_trial_retry(t, max_retry)) {
        if (!locked) lock_study(study_id);
        locked = true;
        WrittenRows rows;  // not remembered: whoever claims the retry rewrites it
        failed.push_back(create_locked(study_id, *retry, rows));
      }
    }
    txn.commit();
  });
  for (const auto& t : failed) written_.erase(t.trial_id);
  return failed;
}

}  // namespace chop::search::rdb
