// Random forest, fANOVA and parameter importance: exact values on hand-built trees, and on
// synthetic studies the parameter that decides the objective ranks first.
#include <gtest/gtest.h>

#include <cmath>

#include "report/fanova.h"
#include "report/importance.h"
#include "report/random_forest.h"
#include "search/sampler_registry.h"
#include "search/study.h"

using namespace chop;
using namespace chop::report;

namespace {

std::vector<search::FrozenTrial> run(const search::Objective& objective, int n_trials,
                                     size_t n_objectives = 1, uint64_t seed = 7) {
  search::StudyOptions o;
  o.directions.assign(n_objectives, search::Direction::kMinimize);
  o.sampler = search::make_sampler("random", search::Json::object(), seed);
  search::Study study(o);
  search::OptimizeOptions oo;
  oo.n_trials = n_trials;
  study.optimize(objective, oo);
  return study.trials();
}

double first_value(const search::FrozenTrial& t) {
  return t.values.empty() ? NAN : t.values[0];
}

}  // namespace

TEST(RandomForest, FitsAStepFunctionAndIsDeterministic) {
  std::vector<double> x, y;
  for (int i = 0; i < 40; ++i) {
    x.push_back(i / 40.0);
    x.push_back((i * 7 % 40) / 40.0);
    y.push_back(i < 20 ? 1.0 : 5.0);
  }
  ForestOptions o;
  o.n_trees = 8;
  const auto forest = fit_random_forest(x, 2, y, o);
  ASSERT_EQ(forest.size(), 8u);
  const double lo[] = {0.1, 0.5}, hi[] = {0.9, 0.5};
  for (const auto& tree : forest) {
    EXPECT_DOUBLE_EQ(tree.predict(lo), 1.0);
    EXPECT_DOUBLE_EQ(tree.predict(hi), 5.0);
  }
  const auto again = fit_random_forest(x, 2, y, o);
  for (size_t t = 0; t < forest.size(); ++t) {
    ASSERT_EQ(forest[t].nodes.size(), again[t].nodes.size());
    for (size_t n = 0; n < forest[t].nodes.size(); ++n)
      EXPECT_EQ(forest[t].nodes[n].threshold, again[t].nodes[n].threshold);
  }
}

TEST(Fanova, ExactVariancesOnAHandBuiltTree) {
  // f(x0, x1) on [0,1]^2: x0 <= 0.5 ? (x1 <= 0.25 ? 0 : 2) : 4.
  RegressionTree tree;
  tree.nodes = {{0, 0.5, 1, 2, 0},
                {1, 0.25, 3, 4, 0},
                {-1, 0, -1, -1, 4.0},
                {-1, 0, -1, -1, 0.0},
                {-1, 0, -1, -1, 2.0}};
  const std::vector<std::pair<double, double>> box = {{0, 1}, {0, 1}};
  FanovaTree ft(tree, box);
  // Leaves: 0 on 1/8 of the box, 2 on 3/8, 4 on 1/2: mean 2.75, variance 1.9375.
  EXPECT_NEAR(ft.variance(), 1.9375, 1e-12);
  // Marginal over x0: 1.5 on [0, .5], 4 on (.5, 1]: variance 1.5625.
  EXPECT_NEAR(ft.marginal_variance({0}), 1.5625, 1e-12);
  // Marginal over x1: 2 on [0, .25], 3 on (.25, 1]: variance 0.1875.
  EXPECT_NEAR(ft.marginal_variance({1}), 0.1875, 1e-12);
  // Both together: the whole function.
  EXPECT_NEAR(ft.marginal_variance({0, 1}), 1.9375, 1e-12);
  const auto imp = fanova_importances({tree}, box, {{0}, {1}});
  ASSERT_EQ(imp.size(), 2u);
  EXPECT_NEAR(imp[0], 1.5625 / 1.9375, 1e-12);
  EXPECT_NEAR(imp[1], 0.1875 / 1.9375, 1e-12);
}

TEST(Fanova, BoundsOtherThanTheUnitBox) {
  // f = x0 <= 10 ? 0 : 1 on x0 in [0, 40]: 1/4 of the box is 0.
  RegressionTree tree;
  tree.nodes = {{0, 10, 1, 2, 0}, {-1, 0, -1, -1, 0.0}, {-1, 0, -1, -1, 1.0}};
  FanovaTree ft(tree, {{0, 40}, {-3, 3}});
  EXPECT_NEAR(ft.variance(), 0.1875, 1e-12);
  EXPECT_NEAR(ft.marginal_variance({0}), 0.1875, 1e-12);
  EXPECT_NEAR(ft.marginal_variance({1}), 0.0, 1e-12);
}

TEST(Importance, TheParameterThatDecidesTheObjectiveRanksFirst) {
  const auto trials = run(
      [](search::Trial& t) -> std::vector<double> {
        const double x = t.suggest_float("x", -5, 5);
        const double y = t.suggest_float("y", -5, 5);
        const auto k = t.suggest_int("k", 1, 10);
        const auto c = t.suggest_categorical("c", {"a", "b", "c"});
        return {10 * x * x + 0.01 * y + 0.001 * static_cast<double>(k) + (c == "a" ? 0.01 : 0)};
      },
      80);
  const auto imp = param_importance(trials, first_value);
  ASSERT_EQ(imp.params.size(), 4u) << imp.note;
  EXPECT_EQ(imp.params[0].param, "x");
  EXPECT_GT(imp.params[0].importance, 0.8);
  double sum = 0;
  for (const auto& p : imp.params) sum += p.importance;
  EXPECT_NEAR(sum, 1.0, 1e-9);
  EXPECT_EQ(imp.n_trials, 80u);
  EXPECT_TRUE(imp.note.empty());
}

TEST(Importance, ACategoricalParameterThatDecidesRanksFirst) {
  const auto trials = run(
      [](search::Trial& t) -> std::vector<double> {
        const double x = t.suggest_float("x", 0, 1);
        const auto w = t.suggest_categorical("width", {2, 4, 8, 16}).get<int>();
        const auto layers = t.suggest_int("layers", 1, 4);
        return {std::log2(w) * 3 + 0.05 * x + 0.01 * static_cast<double>(layers)};
      },
      60);
  const auto imp = param_importance(trials, first_value);
  ASSERT_FALSE(imp.params.empty());
  EXPECT_EQ(imp.params[0].param, "width");
  EXPECT_GT(imp.params[0].importance, 0.8);
}

TEST(Importance, EachObjectiveOfAStudyHasItsOwnRanking) {
  search::StudyOptions o;
  o.name = "two";
  o.directions = {search::Direction::kMinimize, search::Direction::kMaximize};
  o.storage = search::make_in_memory_storage();
  o.sampler = search::make_sampler("random", search::Json::object(), 3);
  search::Study study(o);
  search::OptimizeOptions oo;
  oo.n_trials = 60;
  study.optimize(
      [](search::Trial& t) -> std::vector<double> {
        const double a = t.suggest_float("a", 0, 1);
        const double b = t.suggest_float("b", 0, 1);
        return {a * a + 0.01 * b, std::sin(3 * b) + 0.01 * a};
      },
      oo);
  const StudyData data = load_study(*o.storage, "two");
  const auto imps = study_importances(data);
  ASSERT_EQ(imps.size(), 2u);
  EXPECT_EQ(imps[0].params.at(0).param, "a");
  EXPECT_EQ(imps[1].params.at(0).param, "b");
  EXPECT_EQ(imps[0].objective, "values_0");
}

TEST(Importance, TooFewTrialsOrNoVariationSaySo) {
  const auto one =
      run([](search::Trial& t) -> std::vector<double> { return {t.suggest_float("x", 0, 1)}; }, 1);
  auto imp = param_importance(one, first_value);
  EXPECT_TRUE(imp.params.empty());
  EXPECT_NE(imp.note.find("at least two"), std::string::npos) << imp.note;

  const auto flat = run(
      [](search::Trial& t) -> std::vector<double> {
        t.suggest_float("x", 0, 1);
        return {3.0};
      },
      10);
  imp = param_importance(flat, first_value);
  EXPECT_NE(imp.note.find("does not vary"), std::string::npos) << imp.note;
  ASSERT_EQ(imp.params.size(), 1u);
  EXPECT_EQ(imp.params[0].importance, 0.0);

  const auto failed = run(
      [](search::Trial& t) -> std::vector<double> {
        t.suggest_float("x", 0, 1);
        throw std::runtime_error("boom");
      },
      4);
  imp = param_importance(failed, first_value);
  EXPECT_TRUE(imp.params.empty());
  EXPECT_EQ(imp.n_trials, 0u);
}
