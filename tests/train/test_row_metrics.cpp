// fused_rows_metrics (rows in SIMD lanes) against the one-row-at-a-time reference: the same
// loss bits and hits for every row count and class count, ties, overflowing products, and the
// same refusals (NaN, infinite logits, bad labels); the class-major variant likewise.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "train/row_metrics.h"

namespace chop::train {
namespace {

struct Outcome {
  bool ok = false;
  double loss = 0.25;  // a non-zero start: both must add to it, not overwrite it
  int64_t hits = 3;
};

Outcome run(bool fused, const std::vector<float>& x, const std::vector<int64_t>& y,
            int64_t classes) {
  Outcome o;
  const auto rows = static_cast<int64_t>(y.size());
  o.ok = fused ? fused_rows_metrics(x.data(), y.data(), rows, classes, o.loss, o.hits)
               : rows_metrics_reference(x.data(), y.data(), rows, classes, o.loss, o.hits);
  return o;
}

void expect_same(const std::vector<float>& x, const std::vector<int64_t>& y, int64_t classes) {
  const Outcome a = run(true, x, y, classes), b = run(false, x, y, classes);
  ASSERT_EQ(a.ok, b.ok) << "rows " << y.size() << " classes " << classes;
  uint64_t abits = 0, bbits = 0;
  std::memcpy(&abits, &a.loss, sizeof abits);
  std::memcpy(&bbits, &b.loss, sizeof bbits);
  EXPECT_EQ(abits, bbits) << "rows " << y.size() << " classes " << classes << ": " << a.loss
                          << " vs " << b.loss;
  EXPECT_EQ(a.hits, b.hits);
}

// Random logits (normal, or small integers for many ties) and labels for `rows` rows.
void random_case(std::mt19937& gen, int64_t rows, int64_t classes, bool ties, std::vector<float>& x,
                 std::vector<int64_t>& y) {
  std::normal_distribution<float> logit(0.0f, 4.0f);
  std::uniform_int_distribution<int> coarse(-2, 2);
  x.resize(static_cast<size_t>(rows * classes));
  y.resize(static_cast<size_t>(rows));
  for (auto& v : x) v = ties ? static_cast<float>(coarse(gen)) : logit(gen);
  for (auto& t : y) t = std::uniform_int_distribution<int64_t>(0, classes - 1)(gen);
}

TEST(RowMetrics, FusedEqualsReferenceBitForBit) {
  std::mt19937 gen(7);
  // 16 and 17: both sides of the AVX2 path's held columns (kHeldColumns); 20 gathers twice.
  for (int64_t classes : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 20})
    for (int64_t rows = 0; rows <= 37; ++rows)
      for (int ties = 0; ties < 2; ++ties) {
        std::vector<float> x;
        std::vector<int64_t> y;
        random_case(gen, rows, classes, ties, x, y);
        expect_same(x, y, classes);
        const Outcome o = run(true, x, y, classes);
        EXPECT_TRUE(o.ok);
      }
}

// The class-major copy of row-major logits x, with `pad` unused floats after each class's rows.
std::vector<float> class_major(const std::vector<float>& x, int64_t rows, int64_t classes,
                               int64_t pad) {
  std::vector<float> t(static_cast<size_t>(classes * (rows + pad)), -123.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < classes; ++c)
      t[static_cast<size_t>(c * (rows + pad) + r)] = x[static_cast<size_t>(r * classes + c)];
  return t;
}

void expect_class_major_same(const std::vector<float>& x, const std::vector<int64_t>& y,
                             int64_t classes, int64_t pad) {
  const auto rows = static_cast<int64_t>(y.size());
  const std::vector<float> t = class_major(x, rows, classes, pad);
  Outcome a, b = run(false, x, y, classes);
  a.ok = fused_class_major_metrics(t.data(), rows + pad, y.data(), rows, classes, a.loss, a.hits);
  ASSERT_EQ(a.ok, b.ok) << "rows " << rows << " classes " << classes;
  EXPECT_EQ(std::memcmp(&a.loss, &b.loss, sizeof(double)), 0)
      << "rows " << rows << " classes " << classes << ": " << a.loss << " vs " << b.loss;
  EXPECT_EQ(a.hits, b.hits);
}

TEST(RowMetrics, ClassMajorEqualsReferenceBitForBit) {
  std::mt19937 gen(11);
  for (int64_t classes = 1; classes <= 20; ++classes)
    for (int64_t rows = 0; rows <= 37; ++rows)
      for (int ties = 0; ties < 2; ++ties) {
        std::vector<float> x;
        std::vector<int64_t> y;
        random_case(gen, rows, classes, ties, x, y);
        for (int64_t pad : {0, 3}) expect_class_major_same(x, y, classes, pad);
      }
  // Long runs (the sums' product passes 1e200) and refusals, as the row-major path.
  std::vector<float> x(static_cast<size_t>(2051 * 5), 0.5f);
  std::vector<int64_t> y(2051);
  for (size_t r = 0; r < y.size(); ++r) y[r] = static_cast<int64_t>(r % 5);
  expect_class_major_same(x, y, 5, 1);
  x[5 * 1000 + 2] = std::numeric_limits<float>::quiet_NaN();
  expect_class_major_same(x, y, 5, 0);
  const std::vector<float> t = class_major(x, 2051, 5, 0);
  Outcome o;
  EXPECT_FALSE(fused_class_major_metrics(t.data(), 2051, y.data(), 2051, 5, o.loss, o.hits));
  EXPECT_EQ(o.loss, 0.25);
  EXPECT_EQ(o.hits, 3);
}

TEST(RowMetrics, LongRunsThatOverflowTheSumsProductMatch) {
  // Equal logits: every row's sum of exps is `classes`, so the product passes 1e200 many times.
  for (int64_t classes : {2, 5, 10}) {
    const int64_t rows = 2051;
    std::vector<float> x(static_cast<size_t>(rows * classes), 0.5f);
    std::vector<int64_t> y(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) y[static_cast<size_t>(r)] = r % classes;
    expect_same(x, y, classes);
    const Outcome o = run(true, x, y, classes);
    ASSERT_TRUE(o.ok);
    EXPECT_NEAR(o.loss - 0.25, static_cast<double>(rows) * std::log(static_cast<double>(classes)),
                1e-6 * static_cast<double>(rows));
    EXPECT_EQ(o.hits - 3, rows / classes + (rows % classes > 0 ? 1 : 0));  // first max is class 0
  }
}

TEST(RowMetrics, RefusesNaNInfinityAndBadLabelsAddingNothing) {
  const int64_t classes = 5, rows = 9;
  std::vector<float> x(static_cast<size_t>(rows * classes), 1.0f);
  std::vector<int64_t> y(static_cast<size_t>(rows), 1);
  for (int64_t r : {0, 5, 8}) {
    for (float bad :
         {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
      auto xb = x;
      xb[static_cast<size_t>(r * classes + 2)] = bad;
      const Outcome o = run(true, xb, y, classes);
      EXPECT_FALSE(o.ok);
      EXPECT_EQ(o.loss, 0.25);
      EXPECT_EQ(o.hits, 3);
      expect_same(xb, y, classes);
    }
    for (int64_t label : {int64_t{-1}, classes}) {
      auto yb = y;
      yb[static_cast<size_t>(r)] = label;
      EXPECT_FALSE(run(true, x, yb, classes).ok);
    }
  }
  // A row of minus infinities but one finite logit is fine (exp(-inf) is 0).
  auto xm = x;
  for (int64_t c = 0; c < classes; ++c)
    if (c != 3) xm[static_cast<size_t>(4 * classes + c)] = -std::numeric_limits<float>::infinity();
  expect_same(xm, y, classes);
  EXPECT_TRUE(run(true, xm, y, classes).ok);
}

}  // namespace
}  // namespace chop::train
