// Pareto utilities: dominance, fronts, non-dominated sorting and exact hypervolume.
#include <gtest/gtest.h>

#include <fstream>

#include "search/pareto.h"
#include "search/rng.h"

using namespace chop::search;

TEST(Pareto, Dominance) {
  EXPECT_TRUE(dominates({1, 2}, {1, 3}));
  EXPECT_FALSE(dominates({1, 2}, {1, 2}));
  EXPECT_FALSE(dominates({1, 3}, {2, 2}));
  EXPECT_TRUE(dominates({1, 2}, {1, NAN}));
}

TEST(Pareto, FrontKeepsDuplicates) {
  std::vector<Point> pts{{1, 5}, {2, 2}, {5, 1}, {3, 3}, {2, 2}, {6, 6}};
  EXPECT_EQ(pareto_front_indices(pts), (std::vector<size_t>{0, 1, 2, 4}));
  auto fronts = non_dominated_fronts(pts);
  ASSERT_EQ(fronts.size(), 3u);
  EXPECT_EQ(fronts[1], (std::vector<size_t>{3}));
  EXPECT_EQ(fronts[2], (std::vector<size_t>{5}));
  auto ranks = non_dominated_ranks(pts, 4);
  EXPECT_EQ(ranks[3], -1);
}

TEST(Hypervolume, KnownValues) {
  EXPECT_DOUBLE_EQ(hypervolume({{1, 1}}, {2, 2}), 1.0);
  EXPECT_DOUBLE_EQ(hypervolume({{0, 2}, {1, 1}, {2, 0}}, {3, 3}), 6.0);
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 0}}, {1, 2, 3}), 6.0);
  // Two overlapping unit-ish boxes in 3-D: 2*1*1 + 1*2*1 - 1*1*1 = 3.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 1, 0}, {1, 0, 0}}, {2, 2, 1}), 3.0);
  // Points outside the reference box contribute nothing.
  EXPECT_DOUBLE_EQ(hypervolume({{5, 0}, {1, 1}}, {2, 2}), 1.0);
  // 4-D: the cube [0,1]^4 from a single point plus a dominated point.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 0, 0}, {0.5, 0.5, 0.5, 0.5}}, {1, 1, 1, 1}), 1.0);
}

TEST(Hypervolume, MonteCarloAgreement4D) {
  Rng rng(7);
  std::vector<Point> pts;
  for (int i = 0; i < 12; ++i) {
    Point p(4);
    for (auto& x : p) x = rng.uniform();
    pts.push_back(p);
  }
  const Point ref{1, 1, 1, 1};
  const double hv = hypervolume(pts, ref);
  int inside = 0;
  const int n = 200000;
  for (int k = 0; k < n; ++k) {
    Point s(4);
    for (auto& x : s) x = rng.uniform();
    for (const auto& p : pts) {
      bool dom = true;
      for (int d = 0; d < 4; ++d) dom = dom && p[d] <= s[d];
      if (dom) {
        ++inside;
        break;
      }
    }
  }
  EXPECT_NEAR(hv, static_cast<double>(inside) / n, 0.005);
}

TEST(Hypervolume, Contributions) {
  auto c = hypervolume_contributions({{0, 2}, {1, 1}, {2, 0}}, {3, 3});
  EXPECT_DOUBLE_EQ(c[0], 1.0);
  EXPECT_DOUBLE_EQ(c[1], 1.0);
  EXPECT_DOUBLE_EQ(c[2], 1.0);
}

TEST(Hypervolume, MatchesOptunaWfg) {
  std::ifstream in(std::string(CHOP_SOURCE_DIR) + "/tests/search/golden/hypervolume.json");
  ASSERT_TRUE(in.good());
  const auto golden = chop::search::Json::parse(in);
  ASSERT_EQ(golden["generated_by"], "tools/gen_hypervolume_golden.py, do not edit");
  ASSERT_EQ(golden["cases"].size(), 12u);
  for (const auto& c : golden["cases"]) {
    const auto pts = c["points"].get<std::vector<Point>>();
    const auto ref = c["ref"].get<Point>();
    const double expected = c["hv"].get<double>();
    EXPECT_NEAR(hypervolume(pts, ref), expected, 1e-12 * std::max(1.0, expected))
        << pts.size() << " points in " << ref.size() << "-D";
  }
}
