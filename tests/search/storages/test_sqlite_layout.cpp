// chop's own tables in SQLite study files: new files have a change log without a study index and
// one WITHOUT ROWID claims b-tree (fewer WAL frames per commit); files made with the earlier
// layout keep it, and both share studies between connections the same way.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "common/fresh_db.h"
#include "search/sampler_registry.h"
#include "search/storage.h"
#include "search/study.h"

using namespace chop;
using namespace chop::search;

namespace {

std::string one_value(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string out = "<none>";
  if (st && sqlite3_step(st) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(st, 0);
    out = text ? reinterpret_cast<const char*>(text) : "NULL";
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

StudyOptions opts(const std::string& path, const std::string& name, uint64_t seed) {
  StudyOptions o;
  o.name = name;
  o.directions = {Direction::kMinimize};
  o.storage = open_sqlite_storage(path);
  o.sampler = make_sampler("random", Json::object(), seed);
  return o;
}

// Few configurations, so that trials repeat them and claims are taken and found taken.
std::vector<double> small_space(Trial& t) {
  const auto a = t.suggest_int("a", 0, 2);
  const auto b = t.suggest_int("b", 0, 1);
  t.set_user_attr("ab", a * 10 + b);
  return {static_cast<double>(a + b)};
}

OptimizeOptions n(int64_t n_trials) {
  OptimizeOptions o;
  o.n_trials = n_trials;
  return o;
}

// Two studies in one file through two connections each: every reader sees exactly its own
// study's trials, written by either connection, whatever the other study wrote in between.
void check_two_studies_two_connections(const std::string& path) {
  Study a1(opts(path, "a", 1)), b1(opts(path, "b", 2));
  Study a2(opts(path, "a", 3)), b2(opts(path, "b", 4));
  for (int round = 0; round < 3; ++round) {
    a1.optimize(small_space, n(2));
    b2.optimize(small_space, n(3));
    a2.optimize(small_space, n(1));
    b1.optimize(small_space, n(1));
  }
  for (Study* s : {&a1, &a2}) {
    s->sync();
    EXPECT_EQ(s->n_trials(), 9u);
  }
  for (Study* s : {&b1, &b2}) {
    s->sync();
    EXPECT_EQ(s->n_trials(), 12u);
  }
  EXPECT_EQ(a1.trials().back().number, 8);
  EXPECT_EQ(a1.trials().back().params, a2.trials().back().params);
  EXPECT_EQ(b1.trials().back().user_attrs, b2.trials().back().user_attrs);
  EXPECT_EQ(one_value(path, "SELECT COUNT(*) FROM trials"), "21");
  // Six configurations per study at most: repeats were claimed, not evaluated twice.
  EXPECT_EQ(one_value(path, "SELECT COUNT(*) <= 12 AND COUNT(*) > 0 FROM chop_config_claims"), "1");
}

}  // namespace

TEST(SqliteLayout, NewFileHasNoChangeLogStudyIndexAndRowlessClaims) {
  const std::string path = chop::testing::fresh_db("chop_sqlite_layout", "new");
  check_two_studies_two_connections(path);
  EXPECT_EQ(
      one_value(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'chop_ix_changes_study'"),
      "0");
  EXPECT_NE(one_value(path, "SELECT sql FROM sqlite_master WHERE name = 'chop_config_claims'")
                .find("WITHOUT ROWID"),
            std::string::npos);
}

TEST(SqliteLayout, FileWithTheEarlierLayoutKeepsItAndWorksTheSame) {
  const std::string path = chop::testing::fresh_db("chop_sqlite_layout", "earlier");
  {
    // chop's tables as files made before this layout have them (Optuna's come on first open).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA page_size=1024; PRAGMA journal_mode=WAL;"
                           "CREATE TABLE chop_trial_changes (seq INTEGER PRIMARY KEY, "
                           "study_id INTEGER NOT NULL, trial_id INTEGER NOT NULL);"
                           "CREATE INDEX chop_ix_changes_study ON chop_trial_changes "
                           "(study_id, seq);"
                           "CREATE TABLE chop_config_claims (study_id INTEGER NOT NULL, "
                           "config_key VARCHAR(64) NOT NULL, trial_id INTEGER NOT NULL, "
                           "PRIMARY KEY (study_id, config_key));",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  check_two_studies_two_connections(path);
  EXPECT_EQ(
      one_value(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'chop_ix_changes_study'"),
      "1");
  EXPECT_EQ(one_value(path, "SELECT sql FROM sqlite_master WHERE name = 'chop_config_claims'")
                .find("WITHOUT ROWID"),
            std::string::npos);
}
