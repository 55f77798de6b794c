// passes::hardware_metrics, the one function behind analyze/transform figures, the hw runners and
// the budgets: each metric equals its pass's figure, each pass runs once, reuse and shape
// sources behave, and the compare_to / latency option checks now fail at resolve time.
#include <gtest/gtest.h>

#include "core/error.h"
#include "passes/analysis/hardware_metrics.h"
#include "passes/common.h"
#include "passes/registry.h"

namespace chop::passes {
namespace {

using testing::context;
using testing::zoo;

std::vector<std::string> all_names() {
  std::vector<std::string> names;
  for (const auto& m : hardware_metric_table())
    if (m.name != "latency") names.push_back(m.name);  // timing is not reproducible
  return names;
}

TEST(HardwareMetrics, EachMetricIsItsPassFigure) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  const Json got = hardware_metrics(g, all_names(), ctx);
  ASSERT_EQ(got.size(), all_names().size());
  size_t i = 0;
  for (auto it = got.begin(); it != got.end(); ++it, ++i) EXPECT_EQ(it.key(), all_names()[i]);

  graph::Graph h = zoo("jsc-tiny");
  PassContext c2 = context(8);
  run_pass("add_common_metadata", h, Json{{"forward", false}}, c2);
  EXPECT_EQ(got["flops"], run_pass("flops", h, Json::object(), c2).info["total"]);
  EXPECT_EQ(got["bitops"], run_pass("bitops", h, Json::object(), c2).info["total"]);
  const Json size = run_pass("model_size", h, Json::object(), c2).info;
  EXPECT_EQ(got["model_size"], size["size_bytes"]);
  EXPECT_EQ(got["params"], size["params"]);
  EXPECT_EQ(got["params"], 117);  // jsc-tiny: batch norm 32 + linear 80 + bias 5
  const Json avg = run_pass("average_bitwidth", h, Json::object(), c2).info;
  EXPECT_EQ(got["average_bitwidth"], avg["average_bitwidth"]);
  EXPECT_EQ(got["memory_density"], avg["memory_density"]);
  const Json cost = run_pass("inference_cost", h, Json::object(), c2).info["total"];
  EXPECT_EQ(got["macs"], cost["total_macs"]);
  EXPECT_EQ(got["bops"], cost["total_bops"]);
  EXPECT_EQ(got["weight_bits"], cost["total_mem_w_bits"]);
  EXPECT_EQ(got["zero_weights"], cost["zero_weights"]);
  const Json res = run_pass("resources", h, Json::object(), c2).info["total"];
  for (const char* m : {"luts", "dsps", "bram"}) EXPECT_EQ(got[m], res[m]) << m;
  EXPECT_EQ(got["ebops"], run_pass("ebops", h, Json::object(), c2).info["total"]);
}

TEST(HardwareMetrics, RunsEachPassOnceAndOnlyThoseNeeded) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  const Json got = hardware_metrics(g, {"params", "model_size", "bram"}, ctx);
  EXPECT_EQ(got.begin().key(), "params");  // the caller's order
  EXPECT_TRUE(ctx.results.contains("model_size"));
  EXPECT_TRUE(ctx.results.contains("resources"));
  EXPECT_FALSE(ctx.results.contains("flops"));
  EXPECT_FALSE(ctx.results.contains("add_common_metadata"));  // no shapes needed
  EXPECT_FALSE(ctx.results.contains("ebops"));
}

TEST(HardwareMetrics, PassOptionsReachThePass) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  HardwareMetricOptions o;
  o.pass_options["average_bitwidth"] = Json{{"compare_to", 8}};
  const Json got = hardware_metrics(g, {"memory_density"}, ctx, o);
  EXPECT_DOUBLE_EQ(got["memory_density"].get<double>(), 8.0 / 32.0);
}

TEST(HardwareMetrics, ReusedInfosAreNotRecomputed) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  const Json ran = Json{{"resources", {{"total", {{"luts", 7}, {"dsps", 1}, {"bram", 2}}}}}};
  HardwareMetricOptions o;
  o.reuse = &ran;
  const Json got = hardware_metrics(g, {"luts", "params"}, ctx, o);
  EXPECT_EQ(got["luts"], 7);
  EXPECT_FALSE(ctx.results.contains("resources"));
  EXPECT_TRUE(ctx.results.contains("model_size"));
}

TEST(HardwareMetrics, ShapeSources) {
  for (ShapeSource s : {ShapeSource::kInfer, ShapeSource::kRun}) {
    graph::Graph g = zoo("jsc-tiny");
    PassContext ctx = context(4);
    HardwareMetricOptions o;
    o.shapes = s;
    const Json got = hardware_metrics(g, {"flops"}, ctx, o);
    EXPECT_TRUE(ctx.results.contains("add_common_metadata"));
    EXPECT_GT(got["flops"].get<int64_t>(), 0);
    // The same figure either way: shapes do not depend on running the graph.
    graph::Graph h = zoo("jsc-tiny");
    PassContext c2 = context(4);
    EXPECT_EQ(got["flops"], hardware_metrics(h, {"flops"}, c2)["flops"]);
  }
  // kPresent: the graph's metadata as a pipeline left it, not recomputed.
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(4);
  run_pass("add_common_metadata", g, Json::object(), ctx);
  ctx.results = Json::object();
  HardwareMetricOptions o;
  o.shapes = ShapeSource::kPresent;
  hardware_metrics(g, {"flops"}, ctx, o);
  EXPECT_FALSE(ctx.results.contains("add_common_metadata"));
}

TEST(HardwareMetrics, OptionChecksFailBeforeAnyGraphIsSeen) {
  PassContext ctx = context(4);
  EXPECT_THROW(resolve_options(pass_named("average_bitwidth", ""), Json{{"compare_to", 0}}, ctx),
               ConfigError);
  EXPECT_THROW(resolve_options(pass_named("latency", ""), Json{{"n_batches", 0}}, ctx),
               ConfigError);
  EXPECT_THROW(resolve_options(pass_named("latency", ""), Json{{"warmup", -1}}, ctx),
               ConfigError);
}

}  // namespace
}  // namespace chop::passes
