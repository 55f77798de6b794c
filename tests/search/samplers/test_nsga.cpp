// NSGA-II / NSGA-III: selection internals against Optuna 3.1 (crowding distance, non-dominated
// ranks), constrained domination, Das–Dennis points, and convergence on ZDT1 (NSGA-II) and
// DTLZ2 (NSGA-III) measured by hypervolume, plus determinism and registry names.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "search/pareto.h"
#include "search/sampler_registry.h"
#include "search/samplers/golden_util.h"
#include "search/samplers/nsga.h"
#include "search/samplers/nsga_sampler.h"
#include "search/samplers/random.h"
#include "search/study.h"

namespace chop::search {
namespace {

using samplers::GaMember;
using samplers::testing::num;
using samplers::testing::nums;
using samplers::testing::optuna_golden;

GaMember member(std::vector<double> values, std::vector<double> signs = {}) {
  GaMember m;
  m.values = values;
  for (size_t k = 0; k < values.size(); ++k)
    m.losses.push_back(values[k] * (signs.empty() ? 1.0 : signs[k]));
  return m;
}

TEST(NsgaGolden, CrowdingDistanceMatchesOptuna) {
  const auto& g = optuna_golden()["nsgaii"]["crowding"];
  std::vector<GaMember> pop;
  for (const auto& v : g["values"]) pop.push_back(member(nums(v)));
  std::vector<int> front;
  for (size_t i = 0; i < pop.size(); ++i) front.push_back(static_cast<int>(i));
  const auto d = samplers::ga_crowding_distance(pop, front);
  const auto expected = nums(g["distance"]);
  for (size_t j = 0; j < front.size(); ++j) {
    const double e = expected[front[j]];
    if (std::isinf(e))
      EXPECT_EQ(e, d[j]) << "member " << front[j];
    else
      EXPECT_NEAR(e, d[j], 1e-12) << "member " << front[j];
  }
}

TEST(NsgaGolden, NonDominatedRanksMatchOptuna) {
  const auto& g = optuna_golden()["nsgaii"]["nondominated_sort"];
  std::vector<GaMember> pop;
  for (const auto& v : g["values"]) pop.push_back(member(nums(v), {1.0, -1.0}));
  const auto fronts = samplers::ga_fast_non_dominated_sort(pop, false);
  std::vector<int> rank(pop.size(), -1);
  for (size_t r = 0; r < fronts.size(); ++r)
    for (int i : fronts[r]) rank[i] = static_cast<int>(r);
  EXPECT_EQ(g["rank"].get<std::vector<int>>(), rank);
}

TEST(Nsga, ConstrainedDomination) {
  auto with = [](std::vector<double> v, std::vector<double> c) {
    GaMember m = member(std::move(v));
    m.has_constraints = true;
    m.constraints = std::move(c);
    return m;
  };
  const GaMember feasible_bad = with({5, 5}, {0}), feasible_good = with({1, 1}, {-1});
  const GaMember infeasible_small = with({0, 0}, {0.5}), infeasible_big = with({0, 0}, {2});
  const GaMember unknown = member({0, 0});
  EXPECT_TRUE(samplers::ga_constrained_dominates(feasible_bad, infeasible_small));
  EXPECT_FALSE(samplers::ga_constrained_dominates(infeasible_small, feasible_bad));
  EXPECT_TRUE(samplers::ga_constrained_dominates(feasible_good, feasible_bad));
  EXPECT_TRUE(samplers::ga_constrained_dominates(infeasible_small, infeasible_big));
  EXPECT_TRUE(samplers::ga_constrained_dominates(infeasible_big, unknown));
  EXPECT_FALSE(samplers::ga_dominates(member({1, 2}), member({1, 2})));
}

TEST(Nsga, DasDennisPoints) {
  const auto p = samplers::das_dennis_points(3, 3);
  ASSERT_EQ(p.size(), 10u);  // C(3 + 3 - 1, 3)
  EXPECT_EQ(p.front(), (std::vector<double>{3, 0, 0}));
  EXPECT_EQ(p.back(), (std::vector<double>{0, 0, 3}));
  for (const auto& v : p) EXPECT_DOUBLE_EQ(v[0] + v[1] + v[2], 3.0);
  EXPECT_EQ(samplers::das_dennis_points(3, 12).size(), 91u);
  EXPECT_EQ(samplers::das_dennis_points(4, 3).size(), 20u);
}

TEST(Nsga, EliteSelectionKeepsFrontsThenExtremes) {
  // Front 0: 5 points on a line; front 1: 3 dominated points. Population 6: all of front 0 and
  // the two extremes (infinite crowding distance) of front 1.
  std::vector<GaMember> pop;
  for (int i = 0; i < 5; ++i) pop.push_back(member({double(i), double(4 - i)}));
  pop.push_back(member({1.5, 4.5}));
  pop.push_back(member({2.5, 3.5}));
  pop.push_back(member({4.5, 1.5}));
  auto elite = samplers::nsga2_select(pop, 7, false);
  std::sort(elite.begin(), elite.end());
  EXPECT_EQ(elite, (std::vector<int>{0, 1, 2, 3, 4, 5, 7}));
  Rng rng(1);
  auto elite3 = samplers::nsga3_select(pop, 6, false, {}, 3, rng);
  ASSERT_EQ(elite3.size(), 6u);
  std::sort(elite3.begin(), elite3.end());
  EXPECT_EQ(std::vector<int>(elite3.begin(), elite3.begin() + 5),
            (std::vector<int>{0, 1, 2, 3, 4}));
}

StudyOptions mo_study(std::shared_ptr<Sampler> sampler, size_t n_objectives) {
  StudyOptions o;
  o.name = "nsga-test";
  o.directions.assign(n_objectives, Direction::kMinimize);
  o.sampler = std::move(sampler);
  return o;
}

OptimizeOptions n_trials(int64_t n, int n_jobs = 1) {
  OptimizeOptions o;
  o.n_trials = n;
  o.n_jobs = n_jobs;
  return o;
}

// ZDT1 with 10 variables: front f2 = 1 − √f1, hypervolume 2/3 w.r.t. (1, 1).
std::vector<double> zdt1(Trial& t) {
  constexpr int kVars = 10;
  double x0 = 0, g = 0;
  for (int i = 0; i < kVars; ++i) {
    const double x = t.suggest_float("x" + std::to_string(i), 0, 1);
    if (i == 0)
      x0 = x;
    else
      g += x;
  }
  g = 1 + 9 * g / (kVars - 1);
  return {x0, g * (1 - std::sqrt(x0 / g))};
}

// DTLZ2 with 3 objectives and 7 variables: front = unit sphere octant; hypervolume w.r.t.
// (1.1, 1.1, 1.1) is 1.1³ − π/6 ≈ 0.8074.
std::vector<double> dtlz2(Trial& t) {
  std::vector<double> x(7);
  for (int i = 0; i < 7; ++i) x[i] = t.suggest_float("x" + std::to_string(i), 0, 1);
  double g = 0;
  for (int i = 2; i < 7; ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
  const double h = M_PI / 2;
  return {(1 + g) * std::cos(x[0] * h) * std::cos(x[1] * h),
          (1 + g) * std::cos(x[0] * h) * std::sin(x[1] * h), (1 + g) * std::sin(x[0] * h)};
}

double front_hypervolume(Study& s, const Point& ref) {
  std::vector<Point> pts;
  for (const auto& t : s.best_trials()) pts.push_back(t.values);
  return hypervolume(pts, ref);
}

TEST(NsgaSampler, Nsga2ApproachesTheZdt1Front) {
  // 4,000 trials = 80 generations of 50. Optuna's operators (uniform crossover, mutation by
  // random re-draw) converge slowly on ZDT1; measured here: HV 0.58-0.61 for seeds 0-2, while
  // random search scores 0 (no point inside the reference box). 0.55 = 82 % of the ideal 2/3.
  for (uint64_t seed : {0, 1}) {
    Study s(mo_study(make_nsgaii_sampler(Json::object(), seed), 2));
    s.optimize(zdt1, n_trials(4000));
    const double hv = front_hypervolume(s, {1, 1});
    std::printf("NSGA-II ZDT1 (10 vars, 4000 trials) seed %d: HV %.4f (ideal %.4f)\n",
                static_cast<int>(seed), hv, 2.0 / 3.0);
    EXPECT_GE(hv, 0.55) << "seed " << seed;
    int gen_max = 0;
    for (const auto& t : s.trials())
      gen_max = std::max(gen_max, t.system_attrs.at(NsgaSampler::kGenerationKey).get<int>());
    EXPECT_GE(gen_max, 60);
  }
}

TEST(NsgaSampler, Nsga3ConvergesOnDtlz2) {
  // 91 Das–Dennis directions (p = 12) and a population of 92, 3,000 trials. Measured: HV
  // 0.73-0.75 (ideal 0.807), mean ‖f‖ − 1 over the last 200 trials 0.07-0.08; random search:
  // HV 0.55, ‖f‖ − 1 = 0.41.
  Study s(mo_study(
      make_nsgaiii_sampler(Json{{"population_size", 92}, {"dividing_parameter", 12}}, 0), 3));
  s.optimize(dtlz2, n_trials(3000));
  const double hv = front_hypervolume(s, {1.1, 1.1, 1.1});
  const auto all = s.trials();
  double excess = 0;
  for (size_t i = all.size() - 200; i < all.size(); ++i) {
    const auto& v = all[i].values;
    excess += (std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]) - 1) / 200;
  }
  std::printf("NSGA-III DTLZ2 (7 vars, 3000 trials): HV %.4f (ideal %.4f), mean |f|-1 %.4f\n", hv,
              1.331 - M_PI / 6, excess);
  EXPECT_GE(hv, 0.70);
  EXPECT_LT(excess, 0.15);
}

std::vector<Json> params_of(Study& s) {
  std::vector<Json> out;
  for (const auto& t : s.trials()) out.push_back(t.params_json());
  return out;
}

TEST(NsgaSampler, DeterministicPerSeedAlsoWithTwoThreads) {
  for (const char* name : {"nsgaii", "nsgaiii"}) {
    auto run = [&](uint64_t seed, int n_jobs) {
      Study s(mo_study(make_sampler(name, Json{{"population_size", 10}}, seed), 2));
      s.optimize(zdt1, n_trials(60, n_jobs));
      return params_of(s);
    };
    EXPECT_EQ(run(5, 1), run(5, 1)) << name;
    EXPECT_EQ(run(5, 2), run(5, 2)) << name;
    EXPECT_NE(run(5, 1), run(6, 1)) << name;
  }
}

TEST(NsgaSampler, ConstraintsFavourFeasibleChildren) {
  auto sampler = std::make_shared<NsgaSampler>(NsgaOptions{}, 3);
  sampler->set_constraints_func([](const FrozenTrial& t) {
    return std::vector<double>{0.5 - t.params.at("x0")};  // feasible iff x0 >= 0.5
  });
  Study s(mo_study(sampler, 2));
  s.optimize(zdt1, n_trials(500));
  int feasible_late = 0;
  const auto all = s.trials();
  for (size_t i = 400; i < all.size(); ++i) feasible_late += all[i].params.at("x0") >= 0.5;
  EXPECT_GE(feasible_late, 75);  // random: ~50 of 100
}

TEST(NsgaSampler, RegistryNamesAndOptionErrors) {
  for (const char* name : {"nsgaii", "NSGAII", "NSGA-II", "nsga2"})
    EXPECT_EQ(make_sampler(name, Json::object(), 0)->name(), "nsgaii") << name;
  for (const char* name : {"nsgaiii", "NSGA-III", "nsga3"})
    EXPECT_EQ(make_sampler(name, Json::object(), 0)->name(), "nsgaiii") << name;
  EXPECT_THROW(make_nsgaii_sampler(Json{{"population_size", 1}}, 0), ConfigError);
  EXPECT_THROW(make_nsgaii_sampler(Json{{"crossover_prob", 1.5}}, 0), ConfigError);
  EXPECT_THROW(make_nsgaii_sampler(Json{{"crossover", "sbx"}}, 0), ConfigError);
  EXPECT_THROW(make_nsgaii_sampler(Json{{"dividing_parameter", 3}}, 0), ConfigError);
  EXPECT_THROW(make_nsgaiii_sampler(Json{{"reference_points", 3}}, 0), ConfigError);
}

}  // namespace
}  // namespace chop::search
