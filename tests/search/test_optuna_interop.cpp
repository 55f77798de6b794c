// Optuna 3.1 and chop on one SQLite study file: Optuna reads every field of a chop study, and
// chop resumes (and Optuna appends to) a study Optuna created over the same search space.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "common/fresh_db.h"
#include "search/optuna_interop.h"
#include "search/sampler_registry.h"
#include "search/study.h"

using namespace chop;
using namespace chop::search;
using chop::testing::expect_optuna_sees;
using chop::testing::run_optuna_script;
namespace fs = std::filesystem;

namespace {

std::string fresh_db(const std::string& name) {
  return chop::testing::fresh_db("chop_optuna", name);
}

// The same space and objective as optuna_study.py's.
std::vector<double> objective(Trial& t) {
  const double x = t.suggest_float("x", -3, 3);
  const auto k = t.suggest_int("k", 1, 64, 1, true);
  const auto c = t.suggest_categorical("c", {Json("relu"), Json(nullptr), Json(4)});
  for (int step = 0; step < 3; ++step) t.report(step, x * x / (step + 1));
  t.set_user_attr("sampled_config", {{"k", k}, {"c", c}});
  return {x * x + static_cast<double>(k)};
}

StudyOptions options(std::shared_ptr<Storage> storage, const std::string& name,
                     const std::string& sampler,
                     std::vector<Direction> dirs = {Direction::kMinimize}) {
  StudyOptions o;
  o.name = name;
  o.directions = std::move(dirs);
  o.storage = std::move(storage);
  o.sampler = make_sampler(sampler, Json::object(), 7);
  return o;
}

OptimizeOptions n_trials(int64_t n) {
  OptimizeOptions o;
  o.n_trials = n;
  return o;
}

// Exercises every stored field: params of the three kinds, intermediate values, nested user
// attributes, PRUNED, FAIL, infinite values and two objectives.
void fill_chop_study(Study& s) {
  s.optimize([](Trial& t) { return std::vector<double>{objective(t)[0], -INFINITY}; }, n_trials(5));
  Trial pruned = s.ask();
  pruned.suggest_float("x", -3, 3);
  pruned.report(0, 2.5);
  s.tell(pruned.number(), TrialState::kPruned);
  Trial failed = s.ask();
  failed.suggest_int("k", 1, 64, 1, true);
  failed.set_user_attr("why", Json::array({1, "two", nullptr}));
  s.tell(failed.number(), TrialState::kFail);
}

}  // namespace

TEST(OptunaInterop, OptunaReadsEveryFieldOfAChopSqliteStudy) {
  const std::string path = fresh_db("reads");
  std::vector<FrozenTrial> trials;
  {
    Study s(options(open_sqlite_storage(path), "chop_written", "tpe",
                    {Direction::kMinimize, Direction::kMaximize}));
    fill_chop_study(s);
    trials = s.trials();
  }
  const auto dump =
      nlohmann::json::parse(run_optuna_script("dump 'sqlite:///" + path + "' chop_written"));
  EXPECT_EQ(dump["directions"], nlohmann::json({"MINIMIZE", "MAXIMIZE"}));
  expect_optuna_sees(trials, dump);
}

TEST(OptunaInterop, ChopResumesAnOptunaWrittenSqliteStudy) {
  const std::string path = fresh_db("resume");
  const std::string url = "'sqlite:///" + path + "'";
  EXPECT_EQ(run_optuna_script("write " + url + " optuna_written 5 3"), "6\n");
  std::vector<FrozenTrial> trials;
  {
    Study s(options(open_sqlite_storage(path), "optuna_written", "tpe"));
    ASSERT_EQ(s.n_trials(), 6u);
    EXPECT_EQ(s.trials({TrialState::kComplete}).size(), 5u);
    EXPECT_EQ(s.trial(5).state, TrialState::kFail);
    expect_optuna_sees(s.trials(),
                       nlohmann::json::parse(run_optuna_script("dump " + url + " optuna_written")));
    // The same space: chop's sampler learns from Optuna's trials and goes on numbering.
    const OptimizeSummary sum = s.optimize(objective, n_trials(4));
    EXPECT_EQ(sum.n_complete, 4);
    const auto all = s.trials();
    ASSERT_EQ(all.size(), 10u);
    for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].number, static_cast<int64_t>(i));
    EXPECT_EQ(s.best_trial().value(), [&] {
      double best = INFINITY;
      for (const auto& t : all)
        if (t.state == TrialState::kComplete) best = std::min(best, t.value());
      return best;
    }());
  }
  // Optuna continues the study chop resumed; each side sees all of the other's trials.
  EXPECT_EQ(run_optuna_script("append " + url + " optuna_written 2 4"), "12\n");
  Study s(options(open_sqlite_storage(path), "optuna_written", "random"));
  trials = s.trials();
  ASSERT_EQ(trials.size(), 12u);
  expect_optuna_sees(trials,
                     nlohmann::json::parse(run_optuna_script("dump " + url + " optuna_written")));
}
