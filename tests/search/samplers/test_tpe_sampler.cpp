// TpeSampler through a real Study: TPE beats random search on standard problems (mean over 20
// seeds), determinism (same seed, also with n_jobs = 2), startup = random search, multivariate,
// group, constraints, multi-objective (MOTPE) and option errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numeric>

#include "core/error.h"
#include "search/sampler_registry.h"
#include "search/samplers/random.h"
#include "search/samplers/tpe_sampler.h"
#include "search/study.h"

namespace chop::search {
namespace {

StudyOptions study_with(std::shared_ptr<Sampler> sampler,
                        std::vector<Direction> dirs = {Direction::kMinimize}) {
  StudyOptions o;
  o.name = "tpe-test";
  o.directions = std::move(dirs);
  o.sampler = std::move(sampler);
  return o;
}

OptimizeOptions trials(int64_t n, int n_jobs = 1) {
  OptimizeOptions o;
  o.n_trials = n;
  o.n_jobs = n_jobs;
  return o;
}

std::vector<double> sphere3(Trial& t) {
  double s = 0;
  for (int i = 0; i < 3; ++i) {
    const double x = t.suggest_float("x" + std::to_string(i), -5, 5);
    s += (x - 1.0) * (x - 1.0);
  }
  return {s};
}

// Six categorical parameters with five choices; the optimum picks choice i % 5 for parameter i.
std::vector<double> categorical6(Trial& t) {
  static const std::vector<Json> choices{"a", "b", "c", "d", "e"};
  double wrong = 0;
  for (int i = 0; i < 6; ++i) {
    const Json c = t.suggest_categorical("c" + std::to_string(i), choices);
    wrong += c != choices[i % 5];
  }
  return {wrong};
}

// Best value after each trial (index = number of finished trials − 1).
std::vector<double> best_curve(std::shared_ptr<Sampler> sampler,
                               std::vector<double> (*objective)(Trial&), int n) {
  Study s(study_with(std::move(sampler)));
  s.optimize(objective, trials(n));
  std::vector<double> curve;
  double best = INFINITY;
  for (const auto& t : s.trials())
    if (t.state == TrialState::kComplete) curve.push_back(best = std::min(best, t.value()));
  return curve;
}

struct Race {
  double tpe_mean_best = 0, random_mean_best = 0;
  double tpe_mean_hit = 0, random_mean_hit = 0;  // trials to reach the target (n if never)
};

Race race(std::vector<double> (*objective)(Trial&), int n, double target, int n_seeds) {
  Race r;
  for (int seed = 0; seed < n_seeds; ++seed) {
    const auto tpe = best_curve(make_tpe_sampler(Json::object(), seed), objective, n);
    const auto rnd = best_curve(std::make_shared<RandomSampler>(seed), objective, n);
    auto hit = [&](const std::vector<double>& c) {
      for (size_t i = 0; i < c.size(); ++i)
        if (c[i] <= target) return static_cast<double>(i + 1);
      return static_cast<double>(n);
    };
    r.tpe_mean_best += tpe.back() / n_seeds;
    r.random_mean_best += rnd.back() / n_seeds;
    r.tpe_mean_hit += hit(tpe) / n_seeds;
    r.random_mean_hit += hit(rnd) / n_seeds;
  }
  return r;
}

TEST(TpeSampler, BeatsRandomOnSphere) {
  const Race r = race(sphere3, 80, 0.5, 20);
  std::printf(
      "sphere3, 80 trials, 20 seeds: mean best TPE %.4f random %.4f; trials to f<=0.5 "
      "TPE %.1f random %.1f\n",
      r.tpe_mean_best, r.random_mean_best, r.tpe_mean_hit, r.random_mean_hit);
  EXPECT_LT(r.tpe_mean_best, 0.5 * r.random_mean_best)
      << "TPE " << r.tpe_mean_best << " vs random " << r.random_mean_best;
  EXPECT_LT(r.tpe_mean_hit, r.random_mean_hit)
      << "trials to f<=0.5: TPE " << r.tpe_mean_hit << " vs random " << r.random_mean_hit;
}

TEST(TpeSampler, BeatsRandomOnCategoricalProblem) {
  const Race r = race(categorical6, 80, 1.0, 20);
  std::printf(
      "categorical6, 80 trials, 20 seeds: mean best TPE %.3f random %.3f; trials to <=1 "
      "wrong TPE %.1f random %.1f\n",
      r.tpe_mean_best, r.random_mean_best, r.tpe_mean_hit, r.random_mean_hit);
  EXPECT_LT(r.tpe_mean_best, r.random_mean_best - 0.5)
      << "TPE " << r.tpe_mean_best << " vs random " << r.random_mean_best;
  EXPECT_LT(r.tpe_mean_hit, r.random_mean_hit)
      << "trials to <=1 wrong: TPE " << r.tpe_mean_hit << " vs random " << r.random_mean_hit;
}

std::vector<Json> params_of(Study& s) {
  std::vector<Json> out;
  for (const auto& t : s.trials()) out.push_back(t.params_json());
  return out;
}

TEST(TpeSampler, SameSeedSameTrialsAndStartupEqualsRandom) {
  Study a(study_with(make_tpe_sampler(Json::object(), 7)));
  Study b(study_with(make_tpe_sampler(Json::object(), 7)));
  Study r(study_with(std::make_shared<RandomSampler>(7)));
  a.optimize(sphere3, trials(30));
  b.optimize(sphere3, trials(30));
  r.optimize(sphere3, trials(10));
  const auto pa = params_of(a), pb = params_of(b), pr = params_of(r);
  EXPECT_EQ(pa, pb);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(pa[i], pr[i]) << "startup trial " << i;
  Study c(study_with(make_tpe_sampler(Json::object(), 8)));
  c.optimize(sphere3, trials(30));
  EXPECT_NE(pa, params_of(c));
}

TEST(TpeSampler, TwoThreadsAreReproducible) {
  auto run = [] {
    Study s(study_with(make_tpe_sampler(Json{{"multivariate", true}}, 3)));
    s.optimize(sphere3, trials(40, 2));
    return params_of(s);
  };
  EXPECT_EQ(run(), run());
}

TEST(TpeSampler, MultivariateGroupAndConditionalSpaces) {
  auto objective = [](Trial& t) {
    const Json kind = t.suggest_categorical("kind", {"conv", "linear"});
    double v = 0;
    if (kind == "conv") {
      v += std::abs(t.suggest_int("kernel", 1, 7, 2) - 3);
      v += std::abs(std::log2(t.suggest_float("lr", 1e-4, 1e-1, {}, true)) + 7);
    } else {
      v += 1.0 + std::abs(t.suggest_int("width", 8, 512, 1, true) - 64) / 64.0;
    }
    return std::vector<double>{v};
  };
  for (const Json& opt :
       {Json{{"multivariate", true}}, Json{{"multivariate", true}, {"group", true}}}) {
    Study s(study_with(make_tpe_sampler(opt, 1)));
    const auto sum = s.optimize(objective, trials(60));
    EXPECT_EQ(sum.n_failed, 0) << opt.dump();
    EXPECT_LT(s.best_trial().value(), 1.0) << opt.dump();
    for (const auto& t : s.trials())
      for (const auto& [name, v] : t.params) EXPECT_TRUE(t.distributions.at(name).contains(v));
  }
}

TEST(TpeSampler, ConstraintsSteerTowardsFeasibleTrials) {
  // Feasible iff x >= 2; the unconstrained optimum x = 0 is infeasible.
  auto run = [](bool constrained, double& best_feasible) {
    auto tpe = std::make_shared<TpeSampler>(samplers::TpeOptions{}, 2, constrained);
    if (constrained)
      tpe->set_constraints_func(
          [](const FrozenTrial& t) { return std::vector<double>{2.0 - t.params.at("x")}; });
    Study s(study_with(tpe));
    s.optimize(
        [](Trial& t) {
          const double x = t.suggest_float("x", -5, 5);
          return std::vector<double>{x * x};
        },
        trials(60));
    int feasible_late = 0;
    best_feasible = INFINITY;
    for (const auto& t : s.trials()) {
      EXPECT_EQ(constrained, t.system_attrs.contains("constraints"));
      const double x = t.params.at("x");
      if (x >= 2.0) best_feasible = std::min(best_feasible, x);
      if (t.number >= 30) feasible_late += x >= 2.0;
    }
    return feasible_late;
  };
  double best_c = 0, best_u = 0;
  const int with = run(true, best_c), without = run(false, best_u);
  // The feasible optimum sits on the boundary, so about half of the late draws land on
  // either side of it; unconstrained TPE instead converges to the infeasible x = 0.
  EXPECT_GE(with, 12);
  EXPECT_GE(with, without + 8);
  EXPECT_LT(best_c, 2.3);
}

TEST(TpeSampler, MultiObjectiveUsesMotpe) {
  Study s(study_with(make_tpe_sampler(Json::object(), 4),
                     {Direction::kMinimize, Direction::kMinimize}));
  s.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", 0, 1), y = t.suggest_float("y", 0, 1);
        return std::vector<double>{x, (1 + 9 * y) * (1 - std::sqrt(x / (1 + 9 * y)))};
      },
      trials(80));
  // After startup the sampler should favour y ≈ 0 (the ZDT1-like front).
  double mean_y_late = 0;
  int n = 0;
  for (const auto& t : s.trials())
    if (t.number >= 40) mean_y_late += t.params.at("y"), ++n;
  EXPECT_LT(mean_y_late / n, 0.3);
}

TEST(TpeSampler, PrunedTrialsMixedDomainsAndMaximize) {
  // Maximise; every third trial is pruned after reporting; int, stepped, log and categorical
  // parameters. All suggestions must stay in their domains and TPE must still improve.
  Study s(study_with(make_tpe_sampler(Json::object(), 9), {Direction::kMaximize}));
  auto objective = [](Trial& t) {
    const int64_t n = t.suggest_int("n", 1, 64, 1, true);
    const int64_t k = t.suggest_int("k", 0, 20, 4);
    const double x = t.suggest_float("x", -1, 1, 0.25);
    const double lr = t.suggest_float("lr", 1e-5, 1e-1, {}, true);
    const Json act = t.suggest_categorical("act", {"relu", "gelu", "tanh"});
    const double v = -std::abs(std::log2(double(n)) - 3) - std::abs(k - 8) / 4.0 - x * x -
                     std::abs(std::log10(lr) + 3) + (act == "gelu" ? 1.0 : 0.0);
    t.report(0, v - 1.0);
    if (t.number() % 3 == 2) throw TrialPruned();
    return std::vector<double>{v};
  };
  const auto sum = s.optimize(objective, trials(120));
  EXPECT_GT(sum.n_pruned, 30);
  EXPECT_EQ(sum.n_failed, 0);
  for (const auto& t : s.trials())
    for (const auto& [name, v] : t.params) EXPECT_TRUE(t.distributions.at(name).contains(v));
  double best_early = -INFINITY, best = s.best_trial().value();
  for (const auto& t : s.trials(std::initializer_list<TrialState>{TrialState::kComplete}))
    if (t.number < 15) best_early = std::max(best_early, t.value());
  EXPECT_GT(best, best_early);
  EXPECT_GT(best, -1.0);
}

TEST(TpeSampler, BadOptionsNameTheKey) {
  EXPECT_THROW(make_tpe_sampler(Json{{"n_ei_candidate", 3}}, 0), ConfigError);
  try {
    make_tpe_sampler(Json{{"gamma", "fast"}}, 0);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("gamma"), std::string::npos);
  }
  EXPECT_THROW(make_tpe_sampler(Json{{"group", true}}, 0), ConfigError);
  EXPECT_THROW(make_tpe_sampler(Json{{"constant_liar", 3}}, 0), ConfigError);
}

}  // namespace
}  // namespace chop::search

namespace chop::search {
namespace {

TEST(TpeSampler, RegisteredCaseInsensitively) {
  for (const char* name : {"tpe", "TPE", "Tpe"}) {
    auto s = make_sampler(name, Json::object(), 1);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->name(), "tpe");
  }
}

}  // namespace
}  // namespace chop::search
