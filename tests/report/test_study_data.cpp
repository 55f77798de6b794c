// Reading studies for reports (storages, study choice, objective names, live refresh) and what
// the report says about them (categories, best-so-far, hypervolume history, notes).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "report/study_data.h"
#include "report/study_summary.h"
#include "synthetic.h"

using namespace chop;
using namespace chop::report;
using chop::testing::run_hardware_study;
using chop::testing::temp_dir;

namespace {

search::Study make_study(std::shared_ptr<search::Storage> storage, const std::string& name,
                         std::vector<search::Direction> dirs = {search::Direction::kMinimize}) {
  search::StudyOptions o;
  o.name = name;
  o.directions = std::move(dirs);
  o.storage = std::move(storage);
  return search::Study(o);
}

}  // namespace

TEST(StudyData, ReadingNeverCreatesADatabase) {
  const std::string dir = temp_dir("open");
  EXPECT_THROW(open_storage_for_reading(dir + "/missing.db"), DataError);
  EXPECT_FALSE(std::filesystem::exists(dir + "/missing.db"));
  EXPECT_THROW(open_storage_for_reading("sqlite:///" + dir + "/missing.db"), DataError);
  EXPECT_THROW(open_storage_for_reading(dir), UserError);  // a folder is no storage URL
  EXPECT_THROW(open_storage_for_reading("memory"), UserError);
  std::filesystem::create_directories(dir + "/folder.db");
  EXPECT_THROW(open_storage_for_reading(dir + "/folder.db"), DataError);
  EXPECT_EQ(storage_folder(dir + "/x/study.db"), dir + "/x");
  EXPECT_EQ(storage_folder("study.db"), ".");
  EXPECT_EQ(storage_folder("memory"), "");
}

TEST(StudyData, PicksTheOnlyStudyAndNamesTheOthers) {
  auto storage = search::make_in_memory_storage();
  try {
    pick_study(*storage, "");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("holds no study"), std::string::npos);
  }
  { auto s = make_study(storage, "jsc-tiny"); }
  EXPECT_EQ(pick_study(*storage, ""), "jsc-tiny");
  { auto s = make_study(storage, "jsc-small"); }
  try {
    pick_study(*storage, "");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--study"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("jsc-small"), std::string::npos) << e.what();
  }
  try {
    pick_study(*storage, "jsc-tinny");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'jsc-tiny'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pick_study(*storage, "jsc-small"), "jsc-small");
}

TEST(StudyData, LoadsTrialsDirectionsAndObjectiveNamesFromSqlite) {
  const std::string db = temp_dir("load") + "/study.db";
  run_hardware_study(search::open_sqlite_storage(db), "hw", 12);
  auto storage = open_storage_for_reading(db);
  const StudyData d = load_study(*storage, "hw");
  EXPECT_EQ(d.name, "hw");
  ASSERT_EQ(d.trials.size(), 12u);
  for (size_t i = 0; i < d.trials.size(); ++i)
    EXPECT_EQ(d.trials[i].number, static_cast<int64_t>(i));
  ASSERT_EQ(d.directions.size(), 2u);
  EXPECT_EQ(d.directions[0], search::Direction::kMaximize);
  // From the trials' scaled_metrics, in objective order.
  EXPECT_EQ(d.objective_names, (std::vector<std::string>{"accuracy", "average_bitwidth"}));
  EXPECT_EQ(d.trials[3].state, search::TrialState::kFail);
}

TEST(StudyData, ObjectiveNamesPreferTheStudysOwnList) {
  const Json sys = {{"study:metric_names", {"acc", "bits"}}};
  EXPECT_EQ(objective_names(sys, Json::object(), {}, 2), (std::vector<std::string>{"acc", "bits"}));
  EXPECT_EQ(objective_names(Json::object(), {{"chop:objective_names", {"a"}}}, {}, 1),
            (std::vector<std::string>{"a"}));
  // A list of the wrong length is ignored.
  EXPECT_EQ(objective_names(sys, Json::object(), {}, 3),
            (std::vector<std::string>{"values_0", "values_1", "values_2"}));
  EXPECT_EQ(objective_names(Json::object(), Json::object(), {}, 1),
            (std::vector<std::string>{"value"}));
}

TEST(StudyData, ReaderSeesTrialsAnotherWriterAdds) {
  const std::string db = temp_dir("reader") + "/study.db";
  auto writer_storage = search::open_sqlite_storage(db);
  auto study = make_study(writer_storage, "live");
  StudyReader reader(open_storage_for_reading(db), "live");
  EXPECT_EQ(reader.data().trials.size(), 0u);
  EXPECT_FALSE(reader.refresh());
  auto t = study.ask();
  EXPECT_TRUE(reader.refresh());
  ASSERT_EQ(reader.data().trials.size(), 1u);
  EXPECT_EQ(reader.data().trials[0].state, search::TrialState::kRunning);
  study.tell(t.number(), {1.5});
  EXPECT_TRUE(reader.refresh());
  ASSERT_EQ(reader.data().trials.size(), 1u);
  EXPECT_EQ(reader.data().trials[0].state, search::TrialState::kComplete);
  EXPECT_FALSE(reader.refresh());
}

TEST(StudySummary, CategoriesNotesAndTheFront) {
  auto storage = search::make_in_memory_storage();
  run_hardware_study(storage, "hw", 30);
  const StudyData d = load_study(*storage, "hw");
  const StudySummary s = summarize(d);
  EXPECT_EQ(s.n_trials, 30u);
  EXPECT_EQ(s.n_failed, 1u);
  EXPECT_EQ(s.category[3], kFailed);
  EXPECT_EQ(s.n_complete + s.n_pruned + s.n_failed, 30u);
  EXPECT_GT(s.n_infeasible, 0u);
  EXPECT_FALSE(s.best.empty());
  for (size_t i : s.best) EXPECT_EQ(s.category[i], kFront);
  // No complete trial dominates a front trial.
  for (size_t i : s.best)
    for (size_t j = 0; j < d.trials.size(); ++j)
      if (s.category[j] == kDominated) {
        EXPECT_FALSE(search::dominates(search::to_loss(d.trials[j], d.directions),
                                       search::to_loss(d.trials[i], d.directions)));
      }
  ASSERT_TRUE(s.hv_reference.has_value());
  EXPECT_GT(s.hypervolume, 0.0);
  const auto hv = hypervolume_history(d, *s.hv_reference);
  for (size_t i = 1; i < hv.size(); ++i) EXPECT_GE(hv[i], hv[i - 1]);
  EXPECT_NEAR(hv.back(), s.hypervolume, 1e-12);
  ASSERT_EQ(s.notes.size(), 1u);  // the failed trial
  EXPECT_NE(s.notes[0].find("1 trial failed"), std::string::npos);
}

TEST(StudySummary, BestSoFarFollowsTheDirection) {
  auto storage = search::make_in_memory_storage();
  auto study = make_study(storage, "max", {search::Direction::kMaximize});
  for (double v : {0.5, 0.4, 0.7, 0.6}) study.tell(study.ask().number(), {v});
  const auto best = best_so_far(load_study(*storage, "max"), 0);
  EXPECT_EQ(best, (std::vector<double>{0.5, 0.5, 0.7, 0.7}));
}

TEST(StudySummary, EmptyOneTrialAndAllFailedStudiesSaySo) {
  auto storage = search::make_in_memory_storage();
  { auto s = make_study(storage, "empty"); }
  auto s0 = summarize(load_study(*storage, "empty"));
  ASSERT_EQ(s0.notes.size(), 1u);
  EXPECT_NE(s0.notes[0].find("no trials yet"), std::string::npos);
  EXPECT_FALSE(s0.plottable);

  {
    auto s = make_study(storage, "one");
    s.tell(s.ask().number(), {2.0});
  }
  auto s1 = summarize(load_study(*storage, "one"));
  ASSERT_EQ(s1.best.size(), 1u);
  ASSERT_EQ(s1.notes.size(), 1u);
  EXPECT_NE(s1.notes[0].find("single trial"), std::string::npos);

  {
    auto s = make_study(storage, "failed");
    for (int i = 0; i < 3; ++i) s.tell(s.ask().number(), search::TrialState::kFail);
  }
  auto s2 = summarize(load_study(*storage, "failed"));
  ASSERT_EQ(s2.notes.size(), 1u);
  EXPECT_NE(s2.notes[0].find("All 3 trials failed"), std::string::npos);
  EXPECT_TRUE(s2.best.empty());
  EXPECT_FALSE(s2.plottable);
}

TEST(StudySummary, InfeasibleByOptunasConstraintsConvention) {
  search::FrozenTrial t;
  t.state = search::TrialState::kComplete;
  t.values = {1.0};
  EXPECT_FALSE(is_infeasible(t));
  t.system_attrs["constraints"] = {-1.0, 0.0};
  EXPECT_FALSE(is_infeasible(t));
  t.system_attrs["constraints"] = {-1.0, 0.5};
  EXPECT_TRUE(is_infeasible(t));
  search::FrozenTrial u;
  u.user_attrs["infeasible"] = true;
  EXPECT_TRUE(is_infeasible(u));
}
