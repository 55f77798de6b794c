// Study behaviour: optimize/ask/tell/enqueue, failures and pruning, best trials, determinism
// under threads, duplicate reuse, and the finite-space samplers (bruteforce, grid, qmc).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include "core/error.h"
#include "search/sampler_registry.h"
#include "search/samplers/qmc.h"
#include "search/study.h"

using namespace chop;
using namespace chop::search;

namespace {

StudyOptions opts_with(const std::string& sampler, uint64_t seed,
                       std::vector<Direction> dirs = {Direction::kMinimize},
                       const Json& sampler_options = Json::object()) {
  StudyOptions o;
  o.name = "t";
  o.directions = std::move(dirs);
  o.sampler = make_sampler(sampler, sampler_options, seed);
  return o;
}

OptimizeOptions n(int64_t n_trials, int n_jobs = 1) {
  OptimizeOptions o;
  o.n_trials = n_trials;
  o.n_jobs = n_jobs;
  return o;
}

// MASE's jsc-tiny space: indices into 2 x 3 x 3 choice lists (plus single-choice keys).
std::vector<double> mase_like(Trial& t) {
  const auto a = t.suggest_int("seq_blocks_2/config/data_in_width", 0, 1);
  const auto b = t.suggest_int("seq_blocks_2/config/weight_width", 0, 2);
  const auto c = t.suggest_int("seq_blocks_2/config/bias_width", 0, 2);
  t.suggest_int("seq_blocks_1/config/name", 0, 0);
  return {static_cast<double>(a * 9 + b * 3 + c)};
}

}  // namespace

TEST(Study, RandomOptimizeFindsMinimum) {
  Study s(opts_with("random", 1));
  auto sum = s.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", -5, 5);
        return std::vector<double>{(x - 2) * (x - 2)};
      },
      n(200));
  EXPECT_EQ(sum.n_complete, 200);
  EXPECT_EQ(s.n_trials(), 200u);
  EXPECT_LT(s.best_trial().value(), 0.01);
  EXPECT_NEAR(s.best_trial().param("x").get<double>(), 2.0, 0.1);
}

TEST(Study, AskTellAndMultiObjectiveFront) {
  Study s(opts_with("random", 3, {Direction::kMinimize, Direction::kMaximize}));
  const std::vector<std::vector<double>> vals{{1, 1}, {2, 3}, {3, 2}, {0.5, 0.5}, {2, 3}};
  for (const auto& v : vals) {
    Trial t = s.ask();
    t.suggest_float("x", 0, 1);
    s.tell(t.number(), v);
  }
  auto front = s.best_trials();
  std::set<int64_t> numbers;
  for (const auto& t : front) numbers.insert(t.number);
  // (2,3) dominates (1,1)? no: minimise first. Front: (0.5,0.5), (1,1), (2,3) twice.
  EXPECT_EQ(numbers, (std::set<int64_t>{0, 1, 3, 4}));
  EXPECT_THROW(s.best_trial(), UserError);
  EXPECT_THROW(s.tell(0, {1, 1}), UserError);  // already finished
}

TEST(Study, TellValidatesValues) {
  Study s(opts_with("random", 3));
  Trial t = s.ask();
  EXPECT_EQ(s.tell(t.number(), {NAN}).state, TrialState::kFail);
  Trial u = s.ask();
  EXPECT_EQ(s.tell(u.number(), {1.0, 2.0}).state, TrialState::kFail);
  Trial w = s.ask();
  w.report(0, 0.7);
  w.report(3, 0.4);
  w.report(3, 9.0);  // ignored: first report per step wins
  auto pruned = s.tell(w.number(), TrialState::kPruned);
  EXPECT_EQ(pruned.values, std::vector<double>{0.4});
  EXPECT_EQ(pruned.intermediate_values.at(3), 0.4);
}

TEST(Study, EnqueuedTrialsRunFirstWithFixedParams) {
  Study s(opts_with("random", 5));
  s.enqueue_trial({{"x", 1.25}, {"c", "b"}}, {{"origin", "warm start"}});
  s.enqueue_trial({{"x", 1.25}, {"c", "b"}}, Json::object(), /*skip_if_exists=*/true);
  EXPECT_EQ(s.n_trials(), 1u);
  s.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", 0, 2);
        const auto c = t.suggest_categorical("c", {Json("a"), Json("b")});
        return std::vector<double>{x + (c == "a" ? 0.0 : 1.0)};
      },
      n(3));
  auto first = s.trial(0);
  EXPECT_EQ(first.param("x").get<double>(), 1.25);
  EXPECT_EQ(first.param("c"), Json("b"));
  EXPECT_EQ(first.user_attrs["origin"], "warm start");
  EXPECT_EQ(s.n_trials(), 3u);
}

TEST(Study, FailingTrialsAreRecordedAndSearchGoesOn) {
  Study s(opts_with("random", 7));
  auto sum = s.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", 0, 1);
        if (t.number() % 3 == 1) throw std::runtime_error("NaN loss");
        if (t.number() % 3 == 2) return std::vector<double>{NAN};
        return std::vector<double>{x};
      },
      n(9));
  EXPECT_EQ(sum.n_complete, 3);
  EXPECT_EQ(sum.n_failed, 6);
  auto failed = s.trials({TrialState::kFail});
  ASSERT_EQ(failed.size(), 6u);
  EXPECT_EQ(failed[0].system_attrs["fail_reason"], "NaN loss");
  OptimizeOptions strict = n(5);
  strict.catch_exceptions = false;
  EXPECT_THROW(
      s.optimize([](Trial&) -> std::vector<double> { throw std::runtime_error("x"); }, strict),
      std::runtime_error);
  EXPECT_EQ(s.trials({TrialState::kFail}).size(), 7u);
}

TEST(Study, TimeoutStopsStartingTrials) {
  Study s(opts_with("random", 7));
  OptimizeOptions o;
  o.timeout_s = 0.05;
  auto sum = s.optimize(
      [](Trial& t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return std::vector<double>{t.suggest_float("x", 0, 1)};
      },
      o);
  EXPECT_TRUE(sum.timed_out);
  EXPECT_GE(sum.n_started, 2);
  EXPECT_LE(sum.n_started, 5);
}

TEST(Study, SameSeedSameTrialsEvenWithTwoThreads) {
  auto run = [](int n_jobs, uint64_t seed) {
    Study s(opts_with("random", seed));
    s.optimize(
        [](Trial& t) {
          const double x = t.suggest_float("x", -1, 1);
          const auto k = t.suggest_int("k", 1, 1000, 1, true);
          const auto c = t.suggest_categorical("c", {Json(1), Json("two"), Json(nullptr)});
          std::this_thread::sleep_for(std::chrono::microseconds(50 * (k % 7)));
          return std::vector<double>{x + static_cast<double>(k) + (c.is_null() ? 1 : 0)};
        },
        n(40, n_jobs));
    std::map<int64_t, std::map<std::string, double>> out;
    for (const auto& t : s.trials()) out[t.number] = t.params;
    return out;
  };
  const auto a = run(2, 42), b = run(2, 42), c = run(1, 42), d = run(2, 43);
  EXPECT_EQ(a.size(), 40u);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_NE(a, d);
}

TEST(Study, DuplicateConfigurationsReuseStoredResults) {
  Study s(opts_with("random", 11));
  std::atomic<int> evaluations{0};
  auto sum = s.optimize(
      [&](Trial& t) {
        const auto a = t.suggest_int("a", 0, 1);
        const auto b = t.suggest_categorical("b", {Json("x"), Json("y")});
        ++evaluations;
        t.set_user_attr("metrics", {{"acc", a}});
        return std::vector<double>{static_cast<double>(a) + (b == "x" ? 0.5 : 0.0)};
      },
      n(30));
  EXPECT_LE(evaluations.load(), 4);
  EXPECT_EQ(sum.n_started, 30);
  EXPECT_EQ(sum.n_reused, 30 - evaluations.load());
  for (const auto& t : s.trials()) {
    ASSERT_EQ(t.state, TrialState::kComplete);
    if (!t.system_attrs.contains("reused_from")) continue;
    const auto orig = s.trial(t.system_attrs["reused_from"].get<int64_t>());
    EXPECT_EQ(orig.params, t.params);
    EXPECT_EQ(orig.values, t.values);
    EXPECT_EQ(orig.user_attrs["metrics"], t.user_attrs["metrics"]);
  }
}

TEST(BruteForce, EnumeratesTheProductSpaceOnceAndStops) {
  for (const bool declare : {false, true}) {
    Study s(opts_with("BruteForce", 0));
    if (declare) {
      s.declare_search_space({{"seq_blocks_2/config/data_in_width", Distribution::make_int(0, 1)},
                              {"seq_blocks_2/config/weight_width", Distribution::make_int(0, 2)},
                              {"seq_blocks_2/config/bias_width", Distribution::make_int(0, 2)},
                              {"seq_blocks_1/config/name", Distribution::make_int(0, 0)}});
    }
    auto sum = s.optimize(mase_like, n(20));
    EXPECT_TRUE(sum.exhausted);
    EXPECT_EQ(sum.n_started, 18);
    std::set<double> seen;
    for (const auto& t : s.trials()) seen.insert(t.values.at(0));
    EXPECT_EQ(seen.size(), 18u);
    EXPECT_EQ(*seen.begin(), 0.0);
    EXPECT_EQ(*seen.rbegin(), 17.0);
    // A second optimize call finds the space exhausted at once.
    EXPECT_EQ(s.optimize(mase_like, n(5)).n_started, 0);
  }
}

TEST(BruteForce, TwoThreadsEvaluateEachConfigurationOnce) {
  for (const bool declare : {false, true}) {
    Study s(opts_with("brute-force", 0));
    if (declare) {
      s.declare_search_space({{"seq_blocks_2/config/data_in_width", Distribution::make_int(0, 1)},
                              {"seq_blocks_2/config/weight_width", Distribution::make_int(0, 2)},
                              {"seq_blocks_2/config/bias_width", Distribution::make_int(0, 2)},
                              {"seq_blocks_1/config/name", Distribution::make_int(0, 0)}});
    }
    std::mutex mu;
    std::multiset<double> evaluated;
    auto sum = s.optimize(
        [&](Trial& t) {
          auto v = mase_like(t);
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          std::lock_guard<std::mutex> lock(mu);
          evaluated.insert(v[0]);
          return v;
        },
        n(40, 2));
    EXPECT_TRUE(sum.exhausted);
    EXPECT_EQ(evaluated.size(), 18u);
    EXPECT_EQ(std::set<double>(evaluated.begin(), evaluated.end()).size(), 18u);
    if (declare) {
      EXPECT_EQ(sum.n_started, 18);
    }
  }
}

TEST(BruteForce, RejectsContinuousParameters) {
  Study s(opts_with("brute_force", 0));
  OptimizeOptions o = n(2);
  o.catch_exceptions = false;
  EXPECT_THROW(
      s.optimize([](Trial& t) { return std::vector<double>{t.suggest_float("x", 0, 1)}; }, o),
      UserError);
}

TEST(Grid, CoversTheGridInSeededOrderAndStops) {
  const Json grid = {{"x", {1, 2, 3}}, {"y", {"a", "b"}}};
  auto run = [&](uint64_t seed) {
    Study s(opts_with("grid", seed, {Direction::kMinimize}, {{"search_space", grid}}));
    auto sum = s.optimize(
        [](Trial& t) {
          const auto x = t.suggest_int("x", 0, 10);
          const auto y = t.suggest_categorical("y", {Json("a"), Json("b"), Json("c")});
          return std::vector<double>{static_cast<double>(x) * 10 + (y == "a" ? 0 : 1)};
        },
        n(100));
    EXPECT_TRUE(sum.exhausted);
    std::vector<double> order;
    for (const auto& t : s.trials()) order.push_back(t.values.at(0));
    return order;
  };
  auto a = run(0), b = run(0), c = run(99);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(std::set<double>(a.begin(), a.end()), (std::set<double>{10, 11, 20, 21, 30, 31}));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Registry, NamesAreCaseAndPunctuationInsensitive) {
  for (const char* name : {"bruteforce", "brute_force", "brute-force", "BruteForce", "BRUTEFORCE"})
    EXPECT_EQ(make_sampler(name)->name(), "bruteforce") << name;
  EXPECT_EQ(make_sampler("Random")->name(), "random");
  EXPECT_EQ(make_sampler("QMC", {{"qmc_type", "halton"}})->name(), "qmc");
  try {
    make_sampler("bruteforse");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'bruteforce'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_sampler("random", {{"sead", 1}}), ConfigError);
  EXPECT_THROW(make_sampler("qmc", {{"qmc_type", "lattice"}}), ConfigError);
  for (const char* name : {"tpe", "nsgaii", "nsgaiii"}) EXPECT_NE(find_sampler(name), nullptr);
}

TEST(Qmc, SobolPointsAreStratifiedInEveryDimension) {
  const size_t dims = QmcSequence::max_sobol_dims();
  ASSERT_GE(dims, 20u);
  for (bool scramble : {false, true}) {
    QmcSequence seq(QmcSequence::Type::kSobol, dims, scramble, 3);
    const int m = 8, n_points = 1 << m;
    std::vector<std::vector<int>> hits(dims, std::vector<int>(n_points, 0));
    for (int i = 0; i < n_points; ++i) {
      auto u = seq.point(static_cast<uint64_t>(i));
      for (size_t d = 0; d < dims; ++d) {
        ASSERT_GE(u[d], 0.0);
        ASSERT_LT(u[d], 1.0);
        hits[d][static_cast<int>(u[d] * n_points)]++;
      }
    }
    // A (0, m, 1)-net in every coordinate: each interval of width 2^-m holds exactly one point.
    for (size_t d = 0; d < dims; ++d)
      for (int c : hits[d]) ASSERT_EQ(c, 1) << "dim " << d << " scramble " << scramble;
  }
  // 2-D projections of the first dimensions form (0, m, 2)-nets: one point per 16x16 cell.
  QmcSequence seq(QmcSequence::Type::kSobol, 2, true, 5);
  std::set<std::pair<int, int>> cells;
  for (int i = 0; i < 256; ++i) {
    auto u = seq.point(static_cast<uint64_t>(i));
    cells.insert({static_cast<int>(u[0] * 16), static_cast<int>(u[1] * 16)});
  }
  EXPECT_EQ(cells.size(), 256u);
}

TEST(Qmc, HaltonIsLowDiscrepancyAndSeeded) {
  QmcSequence a(QmcSequence::Type::kHalton, 3, true, 1), b(QmcSequence::Type::kHalton, 3, true, 1),
      c(QmcSequence::Type::kHalton, 3, true, 2);
  EXPECT_EQ(a.point(17), b.point(17));
  EXPECT_NE(a.point(17), c.point(17));
  // Base 3 coordinate: the first 27 points fall one per interval of width 1/27.
  std::set<int> bins;
  for (int i = 0; i < 27; ++i)
    bins.insert(static_cast<int>(a.point(static_cast<uint64_t>(i))[1] * 27));
  EXPECT_EQ(bins.size(), 27u);
}

TEST(Qmc, SamplerUsesDeclaredSpaceFromTrialZero) {
  Study s(opts_with("qmc", 9));
  s.declare_search_space(
      {{"x", Distribution::make_float(0, 1)}, {"y", Distribution::make_float(0, 1)}});
  s.optimize(
      [](Trial& t) {
        return std::vector<double>{t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1)};
      },
      n(64));
  std::set<std::pair<int, int>> cells;
  for (const auto& t : s.trials())
    cells.insert({static_cast<int>(t.params.at("x") * 8), static_cast<int>(t.params.at("y") * 8)});
  EXPECT_EQ(cells.size(), 64u);
}

namespace {

// Draws `n` values of one parameter through a study with the random sampler.
std::vector<double> draw(const Distribution& d, int n, uint64_t seed) {
  Study s(opts_with("random", seed));
  s.optimize(
      [&](Trial& t) {
        t.suggest("p", d);
        return std::vector<double>{0.0};
      },
      ::n(n));
  std::vector<double> out;
  for (const auto& t : s.trials()) out.push_back(t.params.at("p"));
  return out;
}

double chi2(const std::map<double, int>& counts, const std::map<double, double>& expected_p,
            int n) {
  double c = 0;
  for (const auto& [v, p] : expected_p) {
    auto it = counts.find(v);
    const double o = it == counts.end() ? 0 : it->second;
    c += (o - n * p) * (o - n * p) / (n * p);
  }
  return c;
}

}  // namespace

TEST(RandomSampler, IntStepIsUniformOverTheGrid) {
  auto d = Distribution::make_int(-3, 9, 3);  // -3, 0, 3, 6, 9
  const int n = 6000;
  std::map<double, int> counts;
  for (double v : draw(d, n, 1)) counts[v]++;
  std::map<double, double> p;
  for (double v : {-3.0, 0.0, 3.0, 6.0, 9.0}) p[v] = 0.2;
  EXPECT_EQ(counts.size(), 5u);
  EXPECT_LT(chi2(counts, p, n), 18.5);  // chi2(4) 99.9 %
}

TEST(RandomSampler, FloatStepValuesLieOnTheGridUniformly) {
  auto d = Distribution::make_float(0.0, 1.0, 0.25);
  const int n = 6000;
  std::map<double, int> counts;
  for (double v : draw(d, n, 2)) counts[v]++;
  std::map<double, double> p;
  for (double v : {0.0, 0.25, 0.5, 0.75, 1.0}) p[v] = 0.2;
  EXPECT_EQ(counts.size(), 5u);
  EXPECT_LT(chi2(counts, p, n), 18.5);
}

TEST(RandomSampler, LogFloatIsUniformPerDecade) {
  auto d = Distribution::make_float(1e-4, 1.0, std::nullopt, true);
  const int n = 6000;
  std::map<double, int> counts;
  for (double v : draw(d, n, 3)) {
    ASSERT_GE(v, 1e-4);
    ASSERT_LE(v, 1.0);
    counts[std::floor(std::log10(v))]++;
  }
  counts.erase(0.0);  // v == 1 exactly (probability ~0)
  std::map<double, double> p{{-4, 0.25}, {-3, 0.25}, {-2, 0.25}, {-1, 0.25}};
  EXPECT_LT(chi2(counts, p, n), 16.3);  // chi2(3) 99.9 %
}

TEST(RandomSampler, LogIntFollowsOptunaCellWidths) {
  // Optuna: round(exp(U(ln 0.5, ln 8.5))) -> P(k) = ln((k + 0.5) / (k - 0.5)) / ln(17).
  auto d = Distribution::make_int(1, 8, 1, true);
  const int n = 8000;
  std::map<double, int> counts;
  for (double v : draw(d, n, 4)) counts[v]++;
  std::map<double, double> p;
  for (int k = 1; k <= 8; ++k) p[k] = std::log((k + 0.5) / (k - 0.5)) / std::log(17.0);
  EXPECT_LT(chi2(counts, p, n), 24.3);  // chi2(7) 99.9 %
}

TEST(RandomSampler, CategoricalIsUniform) {
  auto d = Distribution::make_categorical({Json("a"), Json(2), Json(nullptr), Json(true)});
  const int n = 6000;
  std::map<double, int> counts;
  for (double v : draw(d, n, 5)) counts[v]++;
  std::map<double, double> p{{0, 0.25}, {1, 0.25}, {2, 0.25}, {3, 0.25}};
  EXPECT_LT(chi2(counts, p, n), 16.3);
}

TEST(Determinism, FiniteSpaceSamplersGiveTheSameTrialsWithOneOrTwoThreads) {
  const ParamSpace space{{"a", Distribution::make_int(0, 3)},
                         {"b", Distribution::make_categorical({Json("x"), Json("y"), Json("z")})},
                         {"c", Distribution::make_float(0, 1, 0.5)}};
  for (const char* sampler : {"grid", "bruteforce", "qmc"}) {
    auto run = [&](int n_jobs) {
      Study s(opts_with(sampler, 17));
      s.declare_search_space(space);
      s.optimize(
          [](Trial& t) {
            const auto a = t.suggest_int("a", 0, 3);
            t.suggest_categorical("b", {Json("x"), Json("y"), Json("z")});
            t.suggest_float("c", 0, 1, 0.5);
            std::this_thread::sleep_for(std::chrono::microseconds(200 * (a % 3)));
            return std::vector<double>{static_cast<double>(a)};
          },
          n(30, n_jobs));
      std::map<int64_t, std::map<std::string, double>> out;
      for (const auto& t : s.trials()) out[t.number] = t.params;
      return out;
    };
    const auto one = run(1), two = run(2), two_again = run(2);
    EXPECT_EQ(one.size(), 30u) << sampler;
    EXPECT_EQ(one, two) << sampler;
    EXPECT_EQ(two, two_again) << sampler;
  }
}
