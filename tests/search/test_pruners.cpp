// Pruners: Optuna 3.x's decisions on synthetic learning curves (golden file from
// tools/gen_pruner_golden.py), and the dominance pruner's rule on hand-built cases.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "search/pruners/hyperband.h"
#include "search/pruners/percentile.h"
#include "search/sampler_registry.h"
#include "search/study.h"

using namespace chop;
using namespace chop::search;

namespace {

Json load_golden() {
  std::ifstream in(std::string(CHOP_SOURCE_DIR) + "/tests/search/golden/pruner_decisions.json");
  EXPECT_TRUE(in.good());
  return Json::parse(in);
}

}  // namespace

TEST(Pruners, ReproduceOptunaDecisionsOnSyntheticCurves) {
  const Json golden = load_golden();
  ASSERT_EQ(golden["generated_by"], "tools/gen_pruner_golden.py, do not edit");
  ASSERT_GE(golden["cases"].size(), 10u);
  for (const auto& c : golden["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    StudyOptions o;
    o.name = c["study_name"].get<std::string>();
    o.directions = {parse_direction(c["direction"].get<std::string>())};
    o.pruner = make_pruner(c["pruner"].get<std::string>(), c["options"]);
    o.sampler = make_sampler("random", Json::object(), 0);
    Study study(o);
    std::vector<std::vector<double>> curves;
    for (const auto& curve : c["curves"]) {
      std::vector<double> v;
      for (const auto& x : curve) v.push_back(x.is_null() ? NAN : x.get<double>());
      curves.push_back(v);
    }
    std::vector<int64_t> pruned_at;
    OptimizeOptions opt;
    opt.n_trials = static_cast<int64_t>(curves.size());
    study.optimize(
        [&](Trial& t) {
          const auto& curve = curves[static_cast<size_t>(t.number())];
          for (size_t step = 0; step < curve.size(); ++step) {
            t.report(static_cast<int64_t>(step), curve[step]);
            if (t.should_prune()) {
              pruned_at.push_back(static_cast<int64_t>(step));
              throw TrialPruned();
            }
          }
          pruned_at.push_back(-1);
          return std::vector<double>{curve.back()};
        },
        opt);
    EXPECT_EQ(pruned_at, c["pruned_at"].get<std::vector<int64_t>>());
    EXPECT_EQ(study.trials({TrialState::kPruned}).size(),
              static_cast<size_t>(std::count_if(pruned_at.begin(), pruned_at.end(),
                                                [](int64_t s) { return s >= 0; })));
  }
}

TEST(Pruners, NumpyPercentileAndIntervalGating) {
  EXPECT_DOUBLE_EQ(nan_percentile({1, 2, 3, 4}, 50), 2.5);
  EXPECT_DOUBLE_EQ(nan_percentile({1, NAN, 3}, 25), 1.5);
  EXPECT_TRUE(std::isnan(nan_percentile({NAN}, 50)));
  EXPECT_DOUBLE_EQ(nan_percentile({5, 1, 3}, 100), 5);
  std::map<int64_t, double> steps{{0, 1}, {1, 1}, {2, 1}};
  EXPECT_TRUE(is_first_in_interval_step(2, steps, 0, 1));
  EXPECT_TRUE(is_first_in_interval_step(2, {{0, 1}, {1, 1}, {2, 1}}, 0, 2));
  EXPECT_FALSE(is_first_in_interval_step(3, {{0, 1}, {1, 1}, {2, 1}, {3, 1}}, 0, 2));
  EXPECT_TRUE(is_first_in_interval_step(4, {{1, 1}, {4, 1}}, 0, 2));
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);  // the standard CRC-32 check value
}

TEST(Pruners, RegistryAndOptionErrors) {
  EXPECT_EQ(make_pruner("Median")->name(), "median");
  EXPECT_EQ(make_pruner("ASHA")->name(), "successive_halving");
  EXPECT_EQ(make_pruner("successive-halving")->name(), "successive_halving");
  EXPECT_THROW(make_pruner("medain"), UserError);
  EXPECT_THROW(make_pruner("median", Json{{"n_startup", 3}}), ConfigError);
  EXPECT_THROW(make_pruner("percentile"), ConfigError);  // percentile is required
  EXPECT_THROW(make_pruner("hyperband", {{"bootstrap_count", 2}}), ConfigError);
}

namespace {

// Two objectives: accuracy (maximise, learned per epoch) and BitOPs (minimise, exact up front).
struct Candidate {
  double bitops;
  std::vector<double> accuracy_curve;
};

std::vector<int64_t> run_dominance(const std::vector<Candidate>& cands, const Json& options) {
  StudyOptions o;
  o.name = "dominance";
  o.directions = {Direction::kMaximize, Direction::kMinimize};
  o.pruner = make_pruner("dominance", options);
  Study study(o);
  std::vector<int64_t> pruned_at;
  OptimizeOptions opt;
  opt.n_trials = static_cast<int64_t>(cands.size());
  study.optimize(
      [&](Trial& t) {
        const auto& c = cands[static_cast<size_t>(t.number())];
        t.set_exact_objectives({{1, c.bitops}});
        for (size_t e = 0; e < c.accuracy_curve.size(); ++e) {
          t.report(static_cast<int64_t>(e), c.accuracy_curve[e]);
          if (t.should_prune()) {
            pruned_at.push_back(static_cast<int64_t>(e));
            throw TrialPruned();
          }
        }
        pruned_at.push_back(-1);
        return std::vector<double>{c.accuracy_curve.back(), c.bitops};
      },
      opt);
  return pruned_at;
}

}  // namespace

TEST(DominancePruner, PrunesOnlyWhenDominatedAtTheSameBudget) {
  const std::vector<Candidate> cands = {
      {100, {0.5, 0.7, 0.8, 0.85}},   // reference A
      {50, {0.4, 0.6, 0.7, 0.75}},    // cheaper, less accurate: not dominated by A
      {120, {0.6, 0.75, 0.9, 0.9}},   // dearer but better at every epoch: kept
      {150, {0.3, 0.65, 0.9, 0.95}},  // dearer and worse than A at epoch 0 -> pruned at 0
      {100, {0.5, 0.8, 0.8, 0.8}},    // equal to A at epoch 0 (not dominated), better at 1: kept
      {60, {0.2, 0.3, 0.4, 0.5}},     // dominated by B (cheaper? no: 60 > 50, worse acc) -> 0
  };
  // Trial 4 ties A until epoch 2 (equal is not dominated) and falls behind A's 0.85 at epoch 3.
  EXPECT_EQ(run_dominance(cands, {{"n_startup_trials", 2}}),
            (std::vector<int64_t>{-1, -1, -1, 0, 3, 0}));
  // Needing two dominators: trial 3 has three (A, B, C) at epoch 0; trial 5 only ever has B
  // (A and C cost more than it), trial 4 only A.
  EXPECT_EQ(run_dominance(cands, {{"n_startup_trials", 2}, {"min_dominators", 2}}),
            (std::vector<int64_t>{-1, -1, -1, 0, -1, -1}));
  // Warm-up delays every decision.
  EXPECT_EQ(run_dominance(cands, {{"n_startup_trials", 2}, {"n_warmup_steps", 2}}),
            (std::vector<int64_t>{-1, -1, -1, 2, 3, 2}));
}

TEST(DominancePruner, NeverPrunesWithoutExactObjectives) {
  StudyOptions o;
  o.name = "dom2";
  o.directions = {Direction::kMaximize, Direction::kMinimize};
  o.pruner = make_pruner("dominance", {{"n_startup_trials", 0}});
  Study study(o);
  Trial a = study.ask();
  a.report(0, 0.9);
  study.tell(a.number(), {0.9, 1.0});
  Trial b = study.ask();
  b.report(0, 0.1);
  EXPECT_FALSE(b.should_prune());  // its BitOPs are unknown
  b.set_exact_objectives({{1, 5.0}});
  EXPECT_TRUE(b.should_prune());
}

TEST(Hyperband, SavesTrainingEpochsComparedWithNoPruning) {
  const Json golden = load_golden();
  for (const auto& c : golden["cases"]) {
    if (c["pruner"] != "hyperband") continue;
    int64_t epochs = 0, full = 0;
    const auto pruned = c["pruned_at"].get<std::vector<int64_t>>();
    for (size_t i = 0; i < pruned.size(); ++i) {
      const auto n_steps = static_cast<int64_t>(c["curves"][i].size());
      full += n_steps;
      epochs += pruned[i] < 0 ? n_steps : pruned[i] + 1;
    }
    EXPECT_LT(epochs, full * 3 / 4) << c["name"];
  }
}
