// The synthetic JSC generator: determinism (seed, thread count), balance, physical shapes and
// the identities of the real features, and the default-size pipeline's speed.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

#include "data/jsc.h"
#include "data/registry.h"

namespace chop::data {
namespace {

enum Feature {
  kZlogz = 0,
  kC1B0 = 1,
  kC1B1 = 2,
  kC1B2 = 3,
  kC2B1 = 4,
  kC2B2 = 5,
  kD2B1 = 6,
  kD2B2 = 7,
  kD2A1B1 = 8,
  kN2B1 = 12,
  kMass = 14,
  kMult = 15
};

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

std::vector<double> column(const jsc::Table& t, int feature, int cls) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.n; ++i) {
    if (t.y[i] == cls) out.push_back(t.x[i * 16 + feature]);
  }
  return out;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

TEST(JscSynthetic, SameSeedSameBytesForAnyThreadCount) {
  int threads = at::get_num_threads();
  at::set_num_threads(1);
  jsc::Table a = jsc::generate_synthetic(30000, 7);
  at::set_num_threads(std::max(2, threads));
  jsc::Table b = jsc::generate_synthetic(30000, 7);
  at::set_num_threads(threads);
  ASSERT_EQ(a.x.size(), b.x.size());
  EXPECT_EQ(std::memcmp(a.x.data(), b.x.data(), a.x.size() * 4), 0);
  EXPECT_EQ(a.y, b.y);
  jsc::Table c = jsc::generate_synthetic(30000, 8);
  EXPECT_NE(std::memcmp(a.x.data(), c.x.data(), a.x.size() * 4), 0);
  // A prefix of a bigger set is the smaller set: rows depend on (seed, row) only.
  jsc::Table d = jsc::generate_synthetic(1000, 7);
  EXPECT_EQ(std::memcmp(a.x.data(), d.x.data(), d.x.size() * 4), 0);
}

TEST(JscSynthetic, BalancedFiniteAndPhysicallyShaped) {
  jsc::Table t = jsc::generate_synthetic(50000, 42);
  for (int c = 0; c < 5; ++c) EXPECT_EQ(std::count(t.y.begin(), t.y.end(), c), 10000);
  for (float v : t.x) ASSERT_TRUE(std::isfinite(v));
  // Groomed-mass peaks near W (80.4), Z (91.2) and top (172.5); q/g at low mass.
  EXPECT_NEAR(median(column(t, kMass, 2)), 80.4, 5);
  EXPECT_NEAR(median(column(t, kMass, 3)), 91.2, 5);
  EXPECT_NEAR(median(column(t, kMass, 4)), 165, 12);
  EXPECT_LT(median(column(t, kMass, 0)), 30);
  EXPECT_LT(median(column(t, kMass, 1)), median(column(t, kMass, 0)));
  // Gluons have more constituents than quarks; top the most.
  EXPECT_GT(mean(column(t, kMult, 0)), mean(column(t, kMult, 1)) + 15);
  EXPECT_GT(mean(column(t, kMult, 4)), mean(column(t, kMult, 0)));
  // Two-prong W/Z have lower D2 and N2 than one-prong q/g.
  for (int wz : {2, 3}) {
    for (int qg : {0, 1}) {
      EXPECT_LT(median(column(t, kD2B1, wz)), 0.6 * median(column(t, kD2B1, qg)));
      EXPECT_LT(median(column(t, kN2B1, wz)), median(column(t, kN2B1, qg)));
    }
  }
  // More constituents -> more negative zlogz (strong correlation).
  EXPECT_LT(mean(column(t, kZlogz, 0)), mean(column(t, kZlogz, 1)));
  // Ranges of the production plots (datasets.md §3) hold for the bulk.
  for (int64_t i = 0; i < t.n; ++i) {
    const float* r = &t.x[i * 16];
    ASSERT_GT(r[kMass], 0);
    ASSERT_LE(r[kMass], 500);
    ASSERT_GE(r[kMult], 3);
    ASSERT_LE(r[kMult], 400);
    ASSERT_GT(r[kC1B0], 0);
    ASSERT_LT(r[kC1B0], 0.5);
    ASSERT_LT(r[kZlogz], 0.5);
    // Identities of the real features: D2^(a1,b1) = D2^(b1), C2 = D2 * C1.
    ASSERT_EQ(r[kD2A1B1], r[kD2B1]);
    ASSERT_NEAR(r[kC2B1], r[kD2B1] * r[kC1B1], 1e-5 * std::fabs(r[kC2B1]) + 1e-12);
    ASSERT_NEAR(r[kC2B2], r[kD2B2] * r[kC1B2], 1e-5 * std::fabs(r[kC2B2]) + 1e-12);
  }
}

TEST(JscSynthetic, LoaderSizesAndStandardisation) {
  DatasetOptions opt;
  opt.n_samples = 20000;
  Splits s = load_dataset("jsc", opt);
  EXPECT_EQ(s.test.size(), 4000);
  EXPECT_EQ(s.val.size(), 1600);
  EXPECT_EQ(s.train.size(), 14400);
  EXPECT_EQ(s.info.input_shape, (std::vector<int64_t>{16}));
  EXPECT_NE(s.info.source.find("synthetic"), std::string::npos);
  at::Tensor all = at::cat({s.train.x, s.val.x}).to(at::kDouble);
  EXPECT_LT(all.mean(0).abs().max().item<double>(), 1e-5);
  EXPECT_NEAR(all.std(0, false).min().item<double>(), 1.0, 1e-4);
  Splits again = load_dataset("jsc", opt);
  EXPECT_TRUE(at::equal(s.train.x, again.train.x));
  EXPECT_TRUE(at::equal(s.test.y, again.test.y));
}

TEST(JscSynthetic, DefaultSizeIsTheRealSetsScaleAndFast) {
  // CPU time (all threads), not wall time: the build machines are shared and often overloaded.
  std::clock_t c0 = std::clock();
  auto t0 = std::chrono::steady_clock::now();
  Splits s = load_dataset("jsc", DatasetOptions{});
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu_s = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  EXPECT_EQ(s.test.size(), 197362);
  EXPECT_EQ(s.train.size() + s.val.size(), 789446);
  EXPECT_EQ(s.val.size(), 78944);
  std::printf("full synthetic jsc (986,808 rows): %.2f s CPU, %.2f s wall\n", cpu_s, wall_s);
  EXPECT_LT(cpu_s, 15.0);  // about 2 s of CPU in practice
}

}  // namespace
}  // namespace chop::data
