// Reading a search's study.db in the end-to-end tests: trained epochs per trial, and each
// trial's state, sampled configuration, value and reuse.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace chop::testing {

/// Trained epochs per trial number, from the study's intermediate values (basic_train reports
/// one value per epoch). Trials answered from the duplicate cache copy their original's values;
/// they trained nothing and are left out.
inline std::map<int64_t, int64_t> trained_epochs(const std::string& db_path) {
  std::map<int64_t, int64_t> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  const char* sql =
      "SELECT t.number, COUNT(v.step) FROM trials t LEFT JOIN trial_intermediate_values v "
      "ON v.trial_id = t.trial_id WHERE t.trial_id NOT IN (SELECT trial_id FROM "
      "trial_system_attributes WHERE key = 'reused_from') GROUP BY t.trial_id";
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (st && sqlite3_step(st) == SQLITE_ROW)
    out[sqlite3_column_int64(st, 0)] = sqlite3_column_int64(st, 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

/// Every trial's study, number, state, sampled configuration, first objective value and
/// reused_from (-1: evaluated by the trial itself), ordered by study name and number.
struct StoredTrial {
  std::string study;
  int64_t number = -1;
  std::string state;
  nlohmann::json sampled;  // user attr sampled_config
  double value = 0;
  int64_t reused_from = -1;
};

inline std::vector<StoredTrial> stored_trials(const std::string& db_path) {
  std::vector<StoredTrial> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  const char* sql =
      "SELECT s.study_name, t.number, t.state, "
      " (SELECT value_json FROM trial_user_attributes u WHERE u.trial_id = t.trial_id AND "
      "  u.key = 'sampled_config'), "
      " (SELECT value FROM trial_values v WHERE v.trial_id = t.trial_id AND v.objective = 0), "
      " (SELECT value_json FROM trial_system_attributes a WHERE a.trial_id = t.trial_id AND "
      "  a.key = 'reused_from') "
      "FROM trials t JOIN studies s ON s.study_id = t.study_id ORDER BY s.study_name, t.number";
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    StoredTrial t;
    t.study = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    t.number = sqlite3_column_int64(st, 1);
    t.state = reinterpret_cast<const char*>(sqlite3_column_text(st, 2));
    if (sqlite3_column_type(st, 3) != SQLITE_NULL)
      t.sampled = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 3)));
    t.value = sqlite3_column_double(st, 4);
    if (sqlite3_column_type(st, 5) != SQLITE_NULL)
      t.reused_from = std::stoll(reinterpret_cast<const char*>(sqlite3_column_text(st, 5)));
    out.push_back(t);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

}  // namespace chop::testing
