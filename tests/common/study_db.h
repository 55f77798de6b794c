// Reading a search's study.db in the end-to-end tests: trained epochs per trial.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <string>

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

}  // namespace chop::testing
