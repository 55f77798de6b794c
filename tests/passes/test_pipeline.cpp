// Pass infrastructure: the registry table, option checking, TOML pipelines in file order,
// per-pass timing, and debug-mode verification.
#include <gtest/gtest.h>

#include <set>

#include "config/toml_document.h"
#include "core/error.h"
#include "passes/common.h"
#include "passes/pipeline.h"
#include "passes/registry.h"

namespace chop::passes {
namespace {

using testing::context;
using testing::zoo;

TEST(Registry, UniqueNamesAndSchemas) {
  std::set<std::string> names;
  for (const auto& p : pass_registry()) {
    EXPECT_TRUE(names.insert(p.name).second) << p.name;
    EXPECT_FALSE(p.summary.empty()) << p.name;
    EXPECT_TRUE(p.kind == "analysis" || p.kind == "transform") << p.name;
    EXPECT_NE(p.run, nullptr);
  }
  for (const char* n : {"add_common_metadata", "add_software_metadata", "report_graph",
                        "report_node_meta_param", "flops", "bitops", "model_size",
                        "average_bitwidth", "latency", "profile_statistics", "quantize"})
    EXPECT_TRUE(find_pass(n)) << n;
}

TEST(Registry, UnknownPassAndBadOptions) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context();
  try {
    run_pass("flop", g, Json::object(), ctx);
    FAIL();
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("unknown pass 'flop'"), std::string::npos) << m;
    EXPECT_NE(m.find("did you mean 'flops'"), std::string::npos) << m;
    EXPECT_NE(m.find("quantize"), std::string::npos) << m;
  }
  EXPECT_THROW(run_pass("latency", g, Json{{"n_batch", 3}}, ctx), ConfigError);
  EXPECT_THROW(run_pass("latency", g, Json{{"n_batches", "3"}}, ctx), ConfigError);
  EXPECT_THROW(run_pass("quantize", g, Json::object(), ctx), ConfigError);  // by missing
}

const char* kToml = R"(
model = "jsc-tiny"
[passes.report_graph]
[passes.quantize]
by = "type"
[passes.quantize.default.config]
name = "NA"
[passes.quantize.linear.config]
name = "integer"
data_in_width = 8
data_in_frac_width = 4
weight_width = 8
weight_frac_width = 4
[passes.flops]
[passes.bitops]
[passes.average_bitwidth]
compare_to = 32
)";

TEST(Pipeline, FileOrderNotAlphabetical) {
  config::TomlDocument doc = config::parse_toml_string(kToml, "t.toml");
  auto steps = pipeline_from_table(doc.root["passes"], &doc);
  std::vector<std::string> names;
  for (const auto& s : steps) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"report_graph", "quantize", "flops", "bitops",
                                             "average_bitwidth"}));
}

TEST(Pipeline, RunsWithTimingsAndDebugVerification) {
  config::TomlDocument doc = config::parse_toml_string(kToml, "t.toml");
  auto steps = pipeline_from_table(doc.root["passes"], &doc);
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  ctx.debug = true;
  ctx.where = [&](const std::string& k) { return doc.where(k); };
  auto reports = run_transform(g, steps, ctx);
  ASSERT_EQ(reports.size(), 7u);
  EXPECT_EQ(reports[0].name, "add_common_metadata");
  EXPECT_EQ(reports[3].name, "quantize");
  EXPECT_TRUE(reports[3].changed);
  for (const auto& r : reports) EXPECT_GE(r.t_ms, 0.0);
  EXPECT_EQ(ctx.results["bitops"]["total"], (512 + 128 + 40) * 32 + 640 * 64);
  EXPECT_DOUBLE_EQ(ctx.results["average_bitwidth"]["average_bitwidth"].get<double>(), 8.0);
  EXPECT_DOUBLE_EQ(ctx.results["average_bitwidth"]["memory_density"].get<double>(), 4.0);
  EXPECT_NE(timing_table(reports).find("quantize"), std::string::npos);
}

TEST(Pipeline, RegexNameTakesTheFirstPatternInFileOrder) {
  // Sorted, "seq_blocks_2" would come first; in the file "seq_blocks_[0-9]+" does.
  config::TomlDocument doc = config::parse_toml_string(R"([passes.quantize]
by = "regex_name"
[passes.quantize.default.config]
name = "NA"
[passes.quantize."seq_blocks_[0-9]+".config]
name = "NA"
[passes.quantize.seq_blocks_2.config]
name = "integer"
data_in_width = 8
data_in_frac_width = 4
weight_width = 8
weight_frac_width = 4
)",
                                                       "re.toml");
  auto steps = pipeline_from_table(doc.root["passes"], &doc);
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  ctx.where = [&](const std::string& k) { return doc.where(k); };
  run_pipeline(g, steps, ctx);
  EXPECT_FALSE(g.node("seq_blocks_2").is_quantized());
  ctx.where = nullptr;  // without locations: JSON (sorted) order, seq_blocks_2 first
  graph::Graph h = zoo("jsc-tiny");
  run_pipeline(h, steps, ctx);
  EXPECT_TRUE(h.node("seq_blocks_2").is_quantized());
}

TEST(Pipeline, UnknownPassNamesFileLineAndKnownPasses) {
  config::TomlDocument doc =
      config::parse_toml_string("[passes.flops]\n[passes.quantise]\nby = \"type\"\n", "bad.toml");
  try {
    pipeline_from_table(doc.root["passes"], &doc);
    FAIL();
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("bad.toml:2:"), std::string::npos) << m;
    EXPECT_NE(m.find("'quantise'"), std::string::npos) << m;
    EXPECT_NE(m.find("did you mean 'quantize'"), std::string::npos) << m;
    EXPECT_NE(m.find("known passes"), std::string::npos) << m;
  }
}

TEST(Pipeline, OptionErrorsCarryTheTomlLocation) {
  config::TomlDocument doc =
      config::parse_toml_string("[passes.latency]\nwarmup = 1\nn_batchs = 2\n", "lat.toml");
  auto steps = pipeline_from_table(doc.root["passes"], &doc);
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context();
  ctx.where = [&](const std::string& k) { return doc.where(k); };
  try {
    run_pipeline(g, steps, ctx);
    FAIL();
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("lat.toml:3:1"), std::string::npos) << m;
    EXPECT_NE(m.find("n_batches"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace chop::passes
