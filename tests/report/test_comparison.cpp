// Sampler comparison: groups found in a storage, the optimum from brute force, trials to reach
// it, median curves with bands, and the comparison page.
#include <gtest/gtest.h>

#include <cmath>

#include "comparison_fixture.h"
#include "core/error.h"
#include "report/report.h"

using namespace chop;
using namespace chop::report;

TEST(Comparison, Quantiles) {
  EXPECT_DOUBLE_EQ(quantile({3, 1, 2}, 0.5), 2.0);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4, 5}, 0.25), 2.0);
  EXPECT_DOUBLE_EQ(quantile({5, NAN, 1}, 0.5), 3.0);
  EXPECT_TRUE(std::isnan(quantile({}, 0.5)));
}

TEST(Comparison, BruteForceSetsTheOptimumAndEverySamplerIsMeasuredAgainstIt) {
  auto storage = search::make_in_memory_storage();
  chop::testing::run_comparison(storage, "lab3", {"bruteforce", "random", "tpe"}, 3, 40);
  EXPECT_EQ(comparison_groups(*storage), std::vector<std::string>{"lab3"});
  const ReportTarget target = pick_report_target(*storage, "");
  EXPECT_TRUE(target.comparison);
  EXPECT_EQ(target.name, "lab3");
  const ComparisonData d = load_comparison(*storage, "lab3");
  ASSERT_EQ(d.runs.size(), 9u);
  EXPECT_EQ(d.samplers, (std::vector<std::string>{"bruteforce", "random", "tpe"}));
  const ComparisonResult r = compare_samplers(d);
  EXPECT_FALSE(r.multi_objective);
  EXPECT_DOUBLE_EQ(r.optimum, 0.0);  // x = 7, choice b
  EXPECT_EQ(r.optimum_source, "brute force, which tried every configuration");
  ASSERT_EQ(r.outcomes.size(), 3u);
  const SamplerOutcome& bf = r.outcomes[0];
  EXPECT_EQ(bf.n_repeats, 3u);
  EXPECT_EQ(bf.n_reached, 3u);  // brute force tries all 40
  for (const auto& t : bf.trials_to_optimum) {
    ASSERT_TRUE(t.has_value());
    EXPECT_LE(*t, 40);
  }
  // Each repeat's count is the first trial whose best equals the optimum.
  for (size_t i = 0; i < d.runs.size(); ++i) {
    const auto& run = d.runs[i];
    const auto& o = r.outcomes[i / 3];
    const auto& t = o.trials_to_optimum[i % 3];
    int64_t first = -1;
    for (size_t k = 0; k < run.study.trials.size() && first < 0; ++k)
      if (run.study.trials[k].values.at(0) == 0.0) first = static_cast<int64_t>(k + 1);
    EXPECT_EQ(t.value_or(-1), first) << run.sampler << " " << run.repeat;
  }
  // Median curves never get worse (minimise), and bands contain the median.
  for (const auto& c : r.by_trials) {
    ASSERT_EQ(c.x.size(), 40u);
    for (size_t i = 0; i < c.x.size(); ++i) {
      EXPECT_LE(c.q25[i], c.median[i]);
      EXPECT_LE(c.median[i], c.q75[i]);
      if (i) {
        EXPECT_LE(c.median[i], c.median[i - 1] + 1e-12);
      }
    }
  }
  for (const auto& c : r.by_seconds) EXPECT_FALSE(c.x.empty());
  const std::string table = comparison_table(r);
  EXPECT_NE(table.find("| bruteforce | 3 |"), std::string::npos) << table;
  EXPECT_NE(table.find("3/3"), std::string::npos) << table;

  const StudyReport page = build_comparison_report(d);
  std::vector<std::string> ids;
  for (const auto& f : page.figures) ids.push_back(f.id);
  EXPECT_EQ(
      ids, (std::vector<std::string>{"comparison_trials", "comparison_time", "trials_to_optimum"}));
  EXPECT_EQ(page.model["kind"], "comparison");
  EXPECT_EQ(page.model["table"]["rows"].size(), 3u);
}

TEST(Comparison, SeveralObjectivesCompareHypervolumesOnOneReferencePoint) {
  auto storage = search::make_in_memory_storage();
  chop::testing::run_comparison(storage, "mo", {"bruteforce", "nsgaii"}, 2, 40, true);
  const ComparisonResult r = compare_samplers(load_comparison(*storage, "mo"));
  EXPECT_TRUE(r.multi_objective);
  EXPECT_EQ(r.measure, "hypervolume");
  ASSERT_TRUE(r.hv_reference.has_value());
  EXPECT_GT(r.optimum, 0.0);
  EXPECT_EQ(r.outcomes[0].n_reached, 2u);
  for (const auto& o : r.outcomes) EXPECT_LE(o.median_final, r.optimum * (1 + 1e-12));
}

TEST(Comparison, WithoutBruteForceTheBestOfAllIsTheReferenceAndOtherStudiesNeedANAme) {
  auto storage = search::make_in_memory_storage();
  chop::testing::run_comparison(storage, "quick", {"random", "tpe"}, 2, 10);
  const ComparisonResult r = compare_samplers(load_comparison(*storage, "quick"));
  EXPECT_NE(r.optimum_source.find("no bruteforce"), std::string::npos);
  size_t reached = 0;
  for (const auto& o : r.outcomes) reached += o.n_reached;
  EXPECT_GE(reached, 1u);  // whoever found the best reached it
  // A plain study next to the comparison: `chop report` then needs --study.
  {
    search::StudyOptions o;
    o.name = "plain";
    o.storage = storage;
    search::Study s(o);
  }
  EXPECT_THROW(pick_report_target(*storage, ""), UserError);
  EXPECT_TRUE(pick_report_target(*storage, "quick").comparison);
  EXPECT_FALSE(pick_report_target(*storage, "plain").comparison);
  EXPECT_THROW(load_comparison(*storage, "nope"), UserError);
}
