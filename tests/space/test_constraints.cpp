// A-priori hardware constraints: parsing (errors name the key), metrics equal to the analysis
// passes' on the candidate graph, relative constraint values, and violations reported by key.
#include <gtest/gtest.h>

#include "passes/registry.h"
#include "space/constraints.h"
#include "space/space_test_util.h"

namespace chop::space {
namespace {

using namespace test_util;

auto locate = [](const std::string& k) { return "search.strategy.constraints." + k; };

std::string parse_error(const Json& t) {
  try {
    parse_hardware_constraints(t, locate);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for " << t.dump();
  return "";
}

TEST(HardwareConstraints, Parse) {
  auto c = parse_hardware_constraints(
      Json{{"max_params", 1000}, {"max_model_size", 4096.5}, {"max_flops", 1e6}}, locate);
  ASSERT_EQ(c.limits.size(), 3u);  // key order: flops, model_size, params
  EXPECT_EQ(c.limits[0].metric, "flops");
  EXPECT_EQ(c.limits[1].metric, "model_size");
  EXPECT_DOUBLE_EQ(c.limits[1].max_value, 4096.5);
  EXPECT_EQ(c.limits[2].key, "max_params");
  EXPECT_TRUE(parse_hardware_constraints(Json(), locate).empty());
  EXPECT_NE(parse_error(Json{{"max_param", 10}}).find("did you mean 'max_params'"),
            std::string::npos);
  EXPECT_NE(parse_error(Json{{"max_bitops", -1}}).find("search.strategy.constraints.max_bitops"),
            std::string::npos);
  EXPECT_NE(parse_error(Json{{"max_flops", "1e6"}}).find("positive number"), std::string::npos);
  EXPECT_NE(parse_error(Json(3)).find("table"), std::string::npos);
}

TEST(HardwareConstraints, CheckMatchesThePassesAndReportsViolations) {
  graph::Graph g = jsc_three();
  passes::PassContext ctx;
  ctx.batch_size = 4;
  auto c = parse_hardware_constraints(
      Json{
          {"max_params", 1000}, {"max_model_size", 2000}, {"max_flops", 1e9}, {"max_bitops", 1e12}},
      locate);
  ConstraintCheck r = check_hardware_constraints(g, c, ctx);
  EXPECT_EQ(r.metrics["params"].get<int64_t>(), 661);
  EXPECT_DOUBLE_EQ(r.metrics["model_size"].get<double>(), 661 * 4.0);  // float32 bytes
  passes::PassContext fresh;
  fresh.batch_size = 4;
  graph::Graph h = jsc_three();
  passes::run_pass("add_common_metadata", h, Json::object(), fresh);
  EXPECT_EQ(r.metrics["flops"], passes::run_pass("flops", h, Json::object(), fresh).info["total"]);
  EXPECT_EQ(r.metrics["bitops"],
            passes::run_pass("bitops", h, Json::object(), fresh).info["total"]);
  // values follow the limits' order (bitops, flops, model_size, params): value / limit - 1.
  ASSERT_EQ(r.values.size(), 4u);
  EXPECT_NEAR(r.values[2], 2644.0 / 2000 - 1, 1e-12);
  EXPECT_NEAR(r.values[3], 661.0 / 1000 - 1, 1e-12);
  EXPECT_LT(r.values[0], 0);
  EXPECT_FALSE(r.feasible());
  ASSERT_EQ(r.violated.size(), 1u);
  EXPECT_DOUBLE_EQ(r.violated["max_model_size"]["value"].get<double>(), 2644);
  EXPECT_DOUBLE_EQ(r.violated["max_model_size"]["limit"].get<double>(), 2000);

  auto only_params = parse_hardware_constraints(Json{{"max_params", 661}}, locate);
  ConstraintCheck ok = check_hardware_constraints(g, only_params, ctx);
  EXPECT_TRUE(ok.feasible());        // the limit itself is allowed
  EXPECT_EQ(ok.metrics.size(), 1u);  // only what a limit needs is computed
  EXPECT_DOUBLE_EQ(ok.values[0], 0.0);
}

}  // namespace
}  // namespace chop::space
