// Study management (search/study_admin.h) on in-memory and SQLite storages: summaries, exports,
// copies that keep every field, deletes that leave other studies alone.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "common/fresh_db.h"
#include "core/error.h"
#include "search/sampler_registry.h"
#include "search/study.h"
#include "search/study_admin.h"

using namespace chop;
using namespace chop::search;
namespace fs = std::filesystem;

namespace {

std::string fresh_db(const std::string& name) {
  return chop::testing::fresh_db("chop_admin", name);
}

// Two objectives, a categorical with a comma and a quote, attributes, one PRUNED, one FAIL.
void fill(std::shared_ptr<Storage> storage, const std::string& name, int n_complete) {
  StudyOptions o;
  o.name = name;
  o.directions = {Direction::kMinimize, Direction::kMaximize};
  o.storage = std::move(storage);
  o.sampler = make_sampler("random", Json::object(), 11);
  Study s(o);
  OptimizeOptions oo;
  oo.n_trials = n_complete;
  s.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", 0, 1);
        const Json c = t.suggest_categorical("c", {Json("a,b"), Json("say \"hi\""), Json(3)});
        t.report(0, x);
        t.set_user_attr("note", c);
        return std::vector<double>{x, 1 - x};
      },
      oo);
  Trial p = s.ask();
  p.suggest_float("x", 0, 1);
  s.tell(p.number(), TrialState::kPruned);
  Trial f = s.ask();
  s.tell(f.number(), TrialState::kFail);
}

int64_t sqlite_count(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
  int64_t n = -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST(StudyAdmin, SummariesCountTrialsByState) {
  auto storage = open_sqlite_storage(fresh_db("summaries"));
  fill(storage, "first", 4);
  fill(storage, "second", 2);
  const auto all = storage->study_summaries();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "first");
  EXPECT_EQ(all[0].n_trials, 6);
  EXPECT_EQ(all[0].n_by_state.at(TrialState::kComplete), 4);
  EXPECT_EQ(all[0].n_by_state.at(TrialState::kPruned), 1);
  EXPECT_EQ(all[0].n_by_state.at(TrialState::kFail), 1);
  EXPECT_EQ(all[0].directions,
            (std::vector<Direction>{Direction::kMinimize, Direction::kMaximize}));
  EXPECT_GT(all[0].datetime_start_ms, 0);
  EXPECT_EQ(all[1].n_trials, 4);
  EXPECT_EQ(find_study(*storage, "second").study_id, all[1].study_id);
  try {
    find_study(*storage, "frist");
    ADD_FAILURE() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'first'"), std::string::npos) << e.what();
  }
}

TEST(StudyAdmin, ExportsCsvAndJson) {
  auto storage = make_in_memory_storage();
  fill(storage, "exp", 3);
  const auto s = find_study(*storage, "exp");
  const auto trials = load_study_trials(*storage, s);
  const std::string csv = study_to_csv(s, trials);
  const std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_EQ(header,
            "number,values_0,values_1,datetime_start,datetime_complete,duration_s,params_c,"
            "params_x,user_attrs_note,state");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 6);  // header + 5 trials
  EXPECT_NE(csv.find(",PRUNED\n"), std::string::npos);
  EXPECT_NE(csv.find(",FAIL\n"), std::string::npos);
  // RFC 4180: fields with commas or quotes are quoted, quotes doubled.
  const bool quoted = csv.find("\"a,b\"") != std::string::npos ||
                      csv.find("\"say \"\"hi\"\"\"") != std::string::npos;
  EXPECT_TRUE(quoted) << csv;
  const Json j = study_to_json(s, trials);
  EXPECT_EQ(j["study_name"], "exp");
  EXPECT_EQ(j["directions"], Json::array({"MINIMIZE", "MAXIMIZE"}));
  ASSERT_EQ(j["trials"].size(), 5u);
  EXPECT_EQ(j["trials"][0]["values"].size(), 2u);
  EXPECT_EQ(j["trials"][0]["distributions"]["x"]["name"], "FloatDistribution");
  EXPECT_TRUE(j["trials"][4]["values"].is_null());
  EXPECT_EQ(j["state_counts"]["COMPLETE"], 3);
  // Minimising x and maximising 1 - x agree: the front is the one trial with the smallest x.
  const auto best = best_of(s, trials);
  ASSERT_EQ(best.size(), 1u);
  for (const auto& t : trials)
    if (t.state == TrialState::kComplete) {
      EXPECT_LE(best[0].values[0], t.values[0]);
    }
}

TEST(StudyAdmin, CopyKeepsEveryFieldAndTheCopyResumes) {
  auto from = make_in_memory_storage();
  fill(from, "orig", 4);
  from->set_study_user_attr(find_study(*from, "orig").study_id, "owner", "lab-3");
  const std::string path = fresh_db("copy");
  auto to = open_sqlite_storage(path);
  const CopyResult r = copy_study(*from, "orig", *to, "moved");
  EXPECT_EQ(r.n_trials, 6);
  EXPECT_EQ(r.n_unfinished, 0);
  const auto a = load_study_trials(*from, find_study(*from, "orig"));
  auto reopened = open_sqlite_storage(path);
  const auto moved = find_study(*reopened, "moved");
  EXPECT_EQ(reopened->study_user_attrs(moved.study_id)["owner"], "lab-3");
  const auto b = load_study_trials(*reopened, moved);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(a[i].number, b[i].number);
    EXPECT_EQ(a[i].state, b[i].state);
    EXPECT_EQ(a[i].params, b[i].params);
    EXPECT_EQ(a[i].distributions, b[i].distributions);
    EXPECT_EQ(a[i].values, b[i].values);
    EXPECT_EQ(a[i].intermediate_values, b[i].intermediate_values);
    EXPECT_EQ(a[i].user_attrs, b[i].user_attrs);
    EXPECT_EQ(a[i].datetime_start_ms, b[i].datetime_start_ms);
    EXPECT_EQ(a[i].datetime_complete_ms, b[i].datetime_complete_ms);
  }
  EXPECT_THROW(copy_study(*from, "orig", *reopened, "moved"), UserError);
  // The copy is a study like any other: a search resumes it with the next numbers.
  fill(reopened, "moved", 1);
  EXPECT_EQ(find_study(*reopened, "moved").n_trials, 9);
}

TEST(StudyAdmin, DeleteRemovesOnlyThatStudy) {
  const std::string path = fresh_db("delete");
  auto storage = open_sqlite_storage(path);
  fill(storage, "gone", 3);
  fill(storage, "kept", 2);
  const int64_t params_before = sqlite_count(path, "SELECT COUNT(*) FROM trial_params");
  storage->delete_study(find_study(*storage, "gone").study_id);
  const auto left = storage->study_summaries();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].name, "kept");
  EXPECT_EQ(left[0].n_trials, 4);
  EXPECT_EQ(sqlite_count(path, "SELECT COUNT(*) FROM trials"), 4);
  EXPECT_LT(sqlite_count(path, "SELECT COUNT(*) FROM trial_params"), params_before);
  EXPECT_EQ(sqlite_count(path,
                         "SELECT COUNT(*) FROM trial_params WHERE trial_id NOT IN "
                         "(SELECT trial_id FROM trials)"),
            0);
  // The name is free again.
  fill(storage, "gone", 1);
  EXPECT_EQ(find_study(*storage, "gone").n_trials, 3);
}
