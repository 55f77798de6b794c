// Whole-study operations of the RDB storage (chop study list / delete): every study's trial
// counts in one snapshot, and deleting a study with all its rows; see rdb_storage.h.
#include "search/storages/rdb_storage.h"
#include "search/storages/rdb_values.h"

namespace chop::search::rdb {

std::vector<StudySummary> RdbStorage::study_summaries() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<StudySummary> out;
  conn_->run_transaction([&](bool) {
    out.clear();
    ReadTxn txn(*conn_);  // one snapshot for the three reads
    std::map<int64_t, size_t> index;
    auto* st = &conn_->prepare("SELECT study_id, study_name FROM studies ORDER BY study_id");
    while (st->next_row()) {
      StudySummary s;
      s.study_id = st->column_int(0);
      s.name = st->column_text(1);
      index[s.study_id] = out.size();
      out.push_back(std::move(s));
    }
    st = &conn_->prepare(
        "SELECT study_id, direction FROM study_directions ORDER BY study_id, objective");
    while (st->next_row()) {
      auto it = index.find(st->column_int(0));
      if (it == index.end()) continue;
      out[it->second].directions.push_back(std::string(st->column_text(1)) == "MAXIMIZE"
                                               ? Direction::kMaximize
                                               : Direction::kMinimize);
    }
    st = &conn_->prepare(
        "SELECT study_id, state, COUNT(*), MIN(datetime_start) FROM trials "
        "GROUP BY study_id, state");
    while (st->next_row()) {
      auto it = index.find(st->column_int(0));
      if (it == index.end()) continue;
      StudySummary& s = out[it->second];
      const int64_t n = st->column_int(2);
      s.n_by_state[parse_trial_state(st->column_text(1))] += n;
      s.n_trials += n;
      const int64_t start = parse_datetime(st->column_text(3));
      if (start > 0 && (s.datetime_start_ms == 0 || start < s.datetime_start_ms))
        s.datetime_start_ms = start;
    }
    txn.commit();
  });
  return out;
}

// chop_trial_changes keeps its rows: its seq must only grow, and rows of a deleted study match
// no trial.
void RdbStorage::delete_study(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  conn_->run_transaction([&](bool) {  // deleting twice deletes nothing more
    WriteTxn txn(*conn_);
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
          "DELETE FROM trials WHERE study_id = ?",
          "DELETE FROM study_directions WHERE study_id = ?",
          "DELETE FROM study_user_attributes WHERE study_id = ?",
          "DELETE FROM study_system_attributes WHERE study_id = ?",
          "DELETE FROM studies WHERE study_id = ?"}) {
      auto& st = conn_->prepare(sql);
      st.bind_int(1, study_id);
      st.run();
    }
    txn.commit();
  });
  sync_.erase(study_id);
  written_.clear();  // trial ids of the deleted study may be anywhere in it
}

}  // namespace chop::search::rdb
