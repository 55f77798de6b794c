// numpy-exact RandomState (the sklearn split) and MASE's JSC preprocessing on small tables.
#include <gtest/gtest.h>

#include "core/error.h"
#include "data/jsc.h"
#include "data/mt19937.h"
#include "test_util.h"

namespace chop::data {
namespace {

using testing::golden;

TEST(NumpyRandomState, PermutationAndRandMatchNumpy) {
  EXPECT_EQ(numpy_permutation(20, 42), golden()["perm20_seed42"].get<std::vector<int64_t>>());
  std::vector<int64_t> big = numpy_permutation(986808, 42);
  auto head = golden()["perm986808_seed42_head"].get<std::vector<int64_t>>();
  auto tail = golden()["perm986808_seed42_tail"].get<std::vector<int64_t>>();
  EXPECT_EQ(std::vector<int64_t>(big.begin(), big.begin() + 6), head);
  EXPECT_EQ(std::vector<int64_t>(big.end() - 6, big.end()), tail);
  std::vector<int64_t> p7 = numpy_permutation(4768, 7);
  EXPECT_EQ(std::vector<int64_t>(p7.begin(), p7.begin() + 6),
            golden()["perm4768_seed7_head"].get<std::vector<int64_t>>());
  NumpyRandomState rs(0);
  for (double expected : golden()["rand_seed0_first8"].get<std::vector<double>>()) {
    EXPECT_EQ(rs.random_sample(), expected);
  }
}

TEST(NumpyRandomState, TrainTestSplitTakesTheHeadOfThePermutationAsTest) {
  IndexSplit s = sklearn_train_test_split(20, 0.2, 42);
  auto perm = golden()["perm20_seed42"].get<std::vector<int64_t>>();
  EXPECT_EQ(s.test, std::vector<int64_t>(perm.begin(), perm.begin() + 4));
  EXPECT_EQ(s.train, std::vector<int64_t>(perm.begin() + 4, perm.end()));
  EXPECT_EQ(sklearn_train_test_split(11, 0.2, 1).test.size(), 3u);  // ceil(2.2)
}

jsc::Table ramp_table(int64_t n) {
  jsc::Table t;
  t.n = n;
  t.source = "ramp";
  for (int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < jsc::kNumFeatures; ++j) t.x.push_back(static_cast<float>(i * (j + 1)));
    t.y.push_back(i % 5);
    t.label_key.push_back(static_cast<int32_t>(i % 5));
  }
  return t;
}

TEST(JscPreprocess, SplitMatchesSklearnAndStandardisesOnTrainPart) {
  jsc::Table t = ramp_table(20);
  t.x[3 * 16 + 15] = 7.0f;  // one constant-free feature is enough; make feature 15 non-linear
  Splits s = jsc::preprocess(t, 0, 42);
  ASSERT_EQ(s.test.size(), 4);
  ASSERT_EQ(s.train.size(), 16);
  EXPECT_TRUE(s.val.x.is_same(s.train.x));  // n_val 0: MASE's validation == train
  auto perm = golden()["perm20_seed42"].get<std::vector<int64_t>>();
  for (int k = 0; k < 4; ++k) EXPECT_EQ(s.test.y[k].item<int64_t>(), perm[k] % 5);
  for (int k = 0; k < 16; ++k) EXPECT_EQ(s.train.y[k].item<int64_t>(), perm[4 + k] % 5);
  at::Tensor mean = s.train.x.to(at::kDouble).mean(0);
  at::Tensor var = s.train.x.to(at::kDouble).var(0, /*unbiased=*/false);
  for (int j = 0; j < 16; ++j) {
    EXPECT_NEAR(mean[j].item<double>(), 0.0, 1e-6);
    EXPECT_NEAR(var[j].item<double>(), 1.0, 1e-5);
  }
  // Feature 0 of row i is i: standardised with the train part's mean/std.
  double m = 0, sq = 0;
  for (int k = 4; k < 20; ++k) m += perm[k];
  m /= 16;
  for (int k = 4; k < 20; ++k) sq += (perm[k] - m) * (perm[k] - m);
  double sd = std::sqrt(sq / 16);
  EXPECT_NEAR(s.test.x[0][0].item<float>(), (perm[0] - m) / sd, 1e-5);
}

TEST(JscPreprocess, DropsDuplicatesKeepingFirstAndCarvesValidation) {
  jsc::Table t = ramp_table(100);
  // Rows 50..59 duplicate rows 0..9 exactly (features and label).
  for (int64_t i = 50; i < 60; ++i) {
    for (int j = 0; j < 16; ++j) t.x[i * 16 + j] = t.x[(i - 50) * 16 + j];
    t.y[i] = t.y[i - 50];
    t.label_key[i] = t.label_key[i - 50];
  }
  t.x[60 * 16] = -0.0f;  // same features as row 0 once -0.0 == 0.0 ...
  for (int j = 1; j < 16; ++j) t.x[60 * 16 + j] = 0.0f;
  t.label_key[60] = 7;  // ... but a different one-hot truth: kept
  jsc::PreprocessStats st;
  Splits s = jsc::preprocess(t, -1, 42, &st);
  EXPECT_EQ(st.n_read, 100);
  EXPECT_EQ(st.n_duplicates, 10);
  EXPECT_EQ(s.test.size(), 18);  // ceil(0.2 * 90)
  EXPECT_EQ(s.val.size(), 7);    // 10 % of 72
  EXPECT_EQ(s.train.size(), 65);
  EXPECT_NE(s.info.split_note.find("10 duplicates dropped"), std::string::npos)
      << s.info.split_note;
  EXPECT_THROW(jsc::preprocess(ramp_table(20), 16, 42), UserError);
}

TEST(JscPreprocess, TooFewRowsIsADataError) {
  EXPECT_THROW(jsc::preprocess(ramp_table(2), -1, 42), DataError);
}

}  // namespace
}  // namespace chop::data
