// Configuration claims in chop_config_claims: the first trial to claim a configuration of a
// study evaluates it; others wait for its result (Study), or — claimed with the trial's creation
// — pick another configuration; a FAILed holder hands the claim on. See storage.h.
#include "search/storages/rdb_storage.h"

namespace chop::search::rdb {

int64_t RdbStorage::claim_configuration(int64_t study_id, const std::string& config_key,
                                        int64_t trial_id, const FrozenTrial* trial) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t holder = -1;
  WrittenRows rows;
  bool wrote_trial = false;
  // Idempotent: claiming twice finds the claim ours, and rewriting a running trial is a no-op.
  conn_->run_transaction([&](bool) {
    holder = -1;
    wrote_trial = false;
    WriteTxn txn(*conn_);
    if (trial) {
      if (!update_trial_locked(study_id, *trial, rows)) {
        holder = kClaimTrialFinished;
        return;  // WriteTxn rolls back
      }
      wrote_trial = true;
    }
    sql::Statement* st = &conn_->prepare(
        "INSERT INTO chop_config_claims (study_id, config_key, trial_id) VALUES (?, ?, ?) "
        "ON CONFLICT (study_id, config_key) DO NOTHING");
    st->bind_int(1, study_id);
    st->bind_text(2, config_key);
    st->bind_int(3, trial_id);
    if (st->run() == 1) {
      txn.commit();
      return;
    }
    // Taken: by this trial already, or by one that failed (it hands the claim on), or held.
    st = &conn_->prepare(
        "UPDATE chop_config_claims SET trial_id = ? WHERE study_id = ? AND config_key = ? AND "
        "(trial_id = ? OR trial_id IN (SELECT trial_id FROM trials WHERE state = 'FAIL') OR "
        "trial_id NOT IN (SELECT trial_id FROM trials))");
    st->bind_int(1, trial_id);
    st->bind_int(2, study_id);
    st->bind_text(3, config_key);
    st->bind_int(4, trial_id);
    if (st->run() == 1) {
      txn.commit();
      return;
    }
    st = &conn_->prepare(
        "SELECT t.number FROM chop_config_claims c JOIN trials t ON t.trial_id = c.trial_id "
        "WHERE c.study_id = ? AND c.config_key = ?");
    st->bind_int(1, study_id);
    st->bind_text(2, config_key);
    if (st->next_row()) holder = st->column_int(0);
    st->reset();
    txn.commit();
  });
  if (wrote_trial) remember(*trial, std::move(rows));
  return holder;
}

FrozenTrial RdbStorage::create_trial_claiming(int64_t study_id, const FrozenTrial& tmpl,
                                              int64_t max_trials, const std::string& config_key,
                                              int64_t* holder, bool first_heartbeat) {
  std::lock_guard<std::mutex> lock(mu_);
  FrozenTrial t;
  WrittenRows rows;
  bool fresh = false;
  conn_->run_transaction([&](bool commit_uncertain) {
    fresh = false;
    *holder = -1;
    WriteTxn txn(*conn_);
    lock_study(study_id);  // creations of the study in turn: the check below cannot race
    if (commit_uncertain) {
      if (auto found = find_created_locked(study_id, tmpl)) {
        t = *found;
        if (first_heartbeat) beat_locked(t.trial_id);
        txn.commit();
        return;
      }
    }
    if (max_trials >= 0 && counted_trials_locked(study_id) >= max_trials) {
      t = tmpl;
      t.number = -1;
      return;  // nothing written; WriteTxn rolls back
    }
    sql::Statement* st = &conn_->prepare(
        "SELECT t.number FROM chop_config_claims c JOIN trials t ON t.trial_id = c.trial_id "
        "WHERE c.study_id = ? AND c.config_key = ? AND t.state <> 'FAIL'");
    st->bind_int(1, study_id);
    st->bind_text(2, config_key);
    if (st->next_row()) {
      *holder = st->column_int(0);
      st->reset();
      t = tmpl;
      t.number = -2;
      return;
    }
    st->reset();
    t = create_locked(study_id, tmpl, rows);
    // Free, or held by a failed (or vanished) trial, which hands the claim on.
    st = &conn_->prepare(
        "INSERT INTO chop_config_claims (study_id, config_key, trial_id) VALUES (?, ?, ?) "
        "ON CONFLICT (study_id, config_key) DO UPDATE SET trial_id = excluded.trial_id");
    st->bind_int(1, study_id);
    st->bind_text(2, config_key);
    st->bind_int(3, t.trial_id);
    st->run();
    if (first_heartbeat) beat_locked(t.trial_id);
    txn.commit();
    fresh = true;
  });
  if (fresh) remember(t, std::move(rows));
  return t;
}

}  // namespace chop::search::rdb
