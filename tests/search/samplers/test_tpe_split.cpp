// TPE's below/above split (single objective with pruned/running trials, constraints, several
// objectives with greedy hypervolume subset selection) and MOTPE's below weights, against
// Optuna 3.1 (tests/search/golden/optuna_tpe_golden.json, tools/gen_optuna_tpe_golden.py).
#include <gtest/gtest.h>

#include <cmath>

#include "search/pareto.h"
#include "search/samplers/golden_util.h"
#include "search/samplers/tpe.h"
#include "search/samplers/tpe_split.h"

namespace chop::search::samplers {
namespace {

using testing::num;
using testing::nums;
using testing::optuna_golden;

std::vector<TpeTrialKey> keys_of(const nlohmann::json& c) {
  std::vector<TpeTrialKey> keys;
  const auto steps = c.contains("steps") ? nums(c["steps"]) : std::vector<double>();
  for (size_t i = 0; i < c["values"].size(); ++i) {
    TpeTrialKey k;
    k.step_key = steps.empty() ? -INFINITY : steps[i];
    k.losses = nums(c["values"][i]);
    if (c.contains("violations") && !c["violations"].is_null())
      k.violation = num(c["violations"][i]);
    keys.push_back(std::move(k));
  }
  return keys;
}

TEST(TpeGolden, SplitMatchesOptuna) {
  for (const auto& c : optuna_golden()["split"]) {
    SCOPED_TRACE(c["title"].get<std::string>());
    const auto keys = keys_of(c);
    const TpeSplit s = split_trials(keys, c["n_below"], !c["violations"].is_null());
    EXPECT_EQ(c["below"].get<std::vector<int>>(), s.below);
    EXPECT_EQ(c["above"].get<std::vector<int>>(), s.above);
  }
}

TEST(TpeGolden, MotpeWeightsMatchOptuna) {
  for (const auto& c : optuna_golden()["mo_weights"]) {
    SCOPED_TRACE(c["title"].get<std::string>());
    const auto keys = keys_of(c);
    const bool constrained = !c["violations"].is_null();
    const auto below = c["below"].get<std::vector<int>>();
    const auto w = mo_below_weights(keys, below, constrained);
    const auto expected = nums(c["weights"]);
    ASSERT_EQ(expected.size(), w.size());
    for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(expected[i], w[i], 1e-10) << i;
  }
}

TEST(TpeGolden, NonDominationRanksAndHypervolumeMatchOptuna) {
  const auto& g = optuna_golden();
  std::vector<Point> pts;
  for (const auto& c : g["split"])
    if (c["title"].get<std::string>().rfind("two objectives, 30 trials", 0) == 0) {
      for (const auto& v : c["values"]) pts.push_back(nums(v));
      break;
    }
  ASSERT_EQ(pts.size(), 30u);
  EXPECT_EQ(g["nondomination_rank_mo2"].get<std::vector<int>>(), non_dominated_ranks(pts));
  for (const auto& c : g["hypervolume"]) {
    std::vector<Point> p;
    for (const auto& v : c["points"]) p.push_back(nums(v));
    EXPECT_NEAR(num(c["hv"]), hypervolume(p, nums(c["reference"])), 1e-12);
  }
}

TEST(TpeSplit, PrunedTrialsRankByProgressThenValue) {
  // Keys: complete 3.0; pruned at step 5 with 0.1; pruned at step 9 with 7.0; running.
  std::vector<TpeTrialKey> keys(4);
  keys[0].losses = {3.0};
  keys[1].step_key = -5, keys[1].losses = {0.1};
  keys[2].step_key = -9, keys[2].losses = {7.0};
  keys[3].step_key = INFINITY, keys[3].losses = {INFINITY};
  EXPECT_EQ((std::vector<int>{0, 2}), split_trials(keys, 2, false).below);
  EXPECT_EQ((std::vector<int>{0, 1, 2}), split_trials(keys, 3, false).below);
  EXPECT_EQ((std::vector<int>{3}), split_trials(keys, 3, false).above);
}

TEST(TpeEngine, StartupAndGamma) {
  TpeEngine engine;
  TpeHistory h;
  for (int i = 0; i < 9; ++i) {
    TpeTrialKey k;
    k.losses = {double(i)};
    h.keys.push_back(k);
  }
  h.n_finished = 9;
  EXPECT_TRUE(engine.prepare(h).startup);
  h.keys.push_back(h.keys[0]);
  h.n_finished = 10;
  const TpePrepared p = engine.prepare(h);
  EXPECT_FALSE(p.startup);
  EXPECT_EQ(1u, p.split.below.size());  // gamma(10) = 1
  EXPECT_EQ(9u, p.split.above.size());
}

}  // namespace
}  // namespace chop::search::samplers
