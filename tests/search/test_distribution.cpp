// Distributions: validation, internal/external conversion, finite enumeration, JSON round trip,
// and the uniformity of the shared sampling transform.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/error.h"
#include "search/distribution.h"
#include "search/rng.h"
#include "search/sampler.h"

using namespace chop;
using namespace chop::search;

TEST(Distribution, IntBasics) {
  auto d = Distribution::make_int(0, 10, 3);
  EXPECT_EQ(d.high(), 9);  // shrunk onto the step grid, as Optuna
  EXPECT_EQ(*d.size(), 4u);
  EXPECT_TRUE(d.contains(6));
  EXPECT_FALSE(d.contains(7));
  EXPECT_EQ(d.value_at(2), 6);
  EXPECT_EQ(d.index_of(9), 3);
  EXPECT_EQ(d.to_external(3).get<int64_t>(), 3);
  EXPECT_FALSE(d.single());
  EXPECT_TRUE(Distribution::make_int(2, 2).single());
  EXPECT_THROW(Distribution::make_int(3, 2), UserError);
  EXPECT_THROW(Distribution::make_int(0, 5, 1, true), UserError);
}

TEST(Distribution, FloatStepAndLog) {
  auto d = Distribution::make_float(0.0, 1.0, 0.25);
  EXPECT_EQ(*d.size(), 5u);
  EXPECT_TRUE(d.contains(0.75));
  EXPECT_FALSE(d.contains(0.7));
  auto s = Distribution::make_float(0.0, 1.05, 0.1);
  EXPECT_NEAR(s.high(), 1.0, 1e-12);
  EXPECT_EQ(*s.size(), 11u);
  auto l = Distribution::make_float(1e-5, 1.0, std::nullopt, true);
  EXPECT_FALSE(l.size().has_value());
  EXPECT_THROW(Distribution::make_float(0.0, 1.0, std::nullopt, true), UserError);
  EXPECT_THROW(Distribution::make_float(1.0, 2.0, 0.5, true), UserError);
}

TEST(Distribution, Categorical) {
  auto d = Distribution::make_categorical({Json("a"), Json(nullptr), Json(2), Json(true)});
  EXPECT_EQ(d.to_internal(Json(nullptr)), 1.0);
  EXPECT_EQ(d.to_internal(Json(2.0)), 2.0);  // numbers compare by value
  EXPECT_EQ(d.to_internal(Json(true)), 3.0);
  EXPECT_EQ(d.to_external(0), Json("a"));
  EXPECT_THROW(d.to_internal(Json("zz")), UserError);
  EXPECT_EQ(*d.size(), 4u);
  EXPECT_THROW(Distribution::make_categorical({}), UserError);
}

TEST(Distribution, JsonRoundTripMatchesOptunaFormat) {
  auto i = Distribution::make_int(0, 3);
  EXPECT_EQ(i.to_json().dump(),
            R"({"name":"IntDistribution","attributes":{"log":false,"step":1,"low":0,"high":3}})");
  auto f = Distribution::make_float(0.001, 1.0, std::nullopt, true);
  EXPECT_EQ(
      f.to_json().dump(),
      R"({"name":"FloatDistribution","attributes":{"step":null,"low":0.001,"high":1.0,"log":true}})");
  auto c = Distribution::make_categorical({Json("x"), Json(nullptr), Json(2)});
  EXPECT_EQ(c.to_json().dump(),
            R"({"name":"CategoricalDistribution","attributes":{"choices":["x",null,2]}})");
  for (const auto& d : {i, f, c, Distribution::make_float(0, 1, 0.5)})
    EXPECT_EQ(Distribution::from_json(Json::parse(d.to_json().dump())), d);
}

TEST(Distribution, SpaceSize) {
  ParamSpace s{{"a", Distribution::make_int(0, 2)},
               {"b", Distribution::make_categorical({Json(4), Json(8)})}};
  EXPECT_EQ(*space_size(s), 6u);
  s["c"] = Distribution::make_float(0, 1);
  EXPECT_FALSE(space_size(s).has_value());
}

TEST(Distribution, UniformTransformIsUniformOverInts) {
  auto d = Distribution::make_int(1, 6);
  Rng rng(123);
  std::map<int, int> counts;
  const int n = 60000;
  for (int k = 0; k < n; ++k) counts[static_cast<int>(sample_uniform(d, rng))]++;
  ASSERT_EQ(counts.size(), 6u);
  double chi2 = 0;
  for (auto& [v, c] : counts) chi2 += std::pow(c - n / 6.0, 2) / (n / 6.0);
  EXPECT_LT(chi2, 20.5);  // chi2(5 dof) 99.9th percentile
}
