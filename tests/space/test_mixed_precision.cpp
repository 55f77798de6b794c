// The mixed-precision search spaces: MASE's flattened keys and sizes, by-type seeds that really
// quantize, PTQ candidates sharing the model's weights, QAT candidates owning copies, and seed
// errors that name the key.
#include <gtest/gtest.h>

#include "core/error.h"
#include "models/zoo.h"
#include "runtime/executor.h"
#include "space/graph_space.h"

namespace chop::space {
namespace {

Json mase_space(const std::string& by) {
  Json choices = {{"name", {"integer"}},
                  {"data_in_width", {4, 8}},
                  {"data_in_frac_width", {nullptr}},
                  {"weight_width", {2, 4, 8}},
                  {"weight_frac_width", {nullptr}},
                  {"bias_width", {2, 4, 8}},
                  {"bias_frac_width", {nullptr}}};
  return Json{{"name", "graph/quantize/mixed_precision_ptq"},
              {"setup", {{"by", by}}},
              {"seed",
               {{"default", {{"config", {{"name", {nullptr}}}}}},
                {"linear", {{"config", choices}}},
                {"seq_blocks_2", {{"config", choices}}}}}};
}

std::map<std::string, Json> first_choices(const GraphSpace& s) {
  std::map<std::string, Json> m;
  for (const auto& p : s.params()) m[p.key] = p.choices.front();
  return m;
}

}  // namespace

TEST(MixedPrecisionSpace, MaseExampleHas18ConfigurationsAndMaseKeys) {
  graph::Graph g = models::build_jsc_tiny({});
  SpaceSetup setup{&g, mase_space("name")};
  auto space = make_graph_space(setup);
  EXPECT_EQ(space->size(), 18);
  std::vector<std::string> keys;
  for (const auto& p : space->params()) keys.push_back(p.key);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "seq_blocks_2/config/weight_width"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "seq_blocks_1/config/name"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "seq_blocks_3/config/name"), keys.end());
}

TEST(MixedPrecisionSpace, PtqCandidatesShareWeightsAndQuantize) {
  graph::Graph g = models::build_jsc_tiny({});
  auto space = make_graph_space({&g, mase_space("name")});
  auto sampled = first_choices(*space);
  sampled["seq_blocks_2/config/weight_width"] = 2;
  Candidate c = space->build(sampled);
  ASSERT_TRUE(c.graph.node("seq_blocks_2").is_quantized());
  EXPECT_FALSE(g.node("seq_blocks_2").is_quantized()) << "the base graph must not change";
  EXPECT_TRUE(c.graph.node("seq_blocks_2")
                  .param("weight")
                  ->is_same(*g.node("seq_blocks_2").param("weight")));
  // 2-bit weights (frac 1): every quantized weight is a multiple of 0.5 in [-2, 1.5].
  at::Tensor x = at::randn({4, 16});
  at::Tensor yq = runtime::forward(c.graph, x), yf = runtime::forward(g, x);
  EXPECT_GT((yq - yf).abs().max().item<double>(), 0.0);
  EXPECT_EQ(c.sampled_config["seq_blocks_2"]["config"]["weight_width"], 2);
}

TEST(MixedPrecisionSpace, ByTypeKeysChoicesByNodeAndQuantizes) {
  graph::Graph g = models::build_jsc_toy({});
  auto space = make_graph_space({&g, mase_space("type")});
  // jsc-toy has three Linear layers, each with its own 2x3x3 choices; ReLUs fall back to default.
  EXPECT_EQ(space->size(), 18 * 18 * 18);
  Candidate c = space->build(first_choices(*space));
  for (const char* n : {"seq_blocks_2", "seq_blocks_5", "seq_blocks_8"})
    EXPECT_TRUE(c.graph.node(n).is_quantized()) << n;
  EXPECT_FALSE(c.graph.node("seq_blocks_1").is_quantized());
}

TEST(MixedPrecisionSpace, QatCandidatesOwnTheirWeights) {
  graph::Graph g = models::build_jsc_tiny({});
  Json t = mase_space("name");
  t["name"] = "graph/quantize/mixed_precision_qat";
  auto space = make_graph_space({&g, t});
  EXPECT_TRUE(space->copies_weights());
  Candidate c = space->build(first_choices(*space));
  EXPECT_FALSE(c.graph.node("seq_blocks_2")
                   .param("weight")
                   ->is_same(*g.node("seq_blocks_2").param("weight")));
}

TEST(MixedPrecisionSpace, ErrorsNameTheKey) {
  graph::Graph g = models::build_jsc_tiny({});
  auto message = [&](Json t) {
    try {
      make_graph_space({&g, t});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  Json bad_seed = mase_space("name");
  bad_seed["seed"]["seq_blocks_9"] = bad_seed["seed"]["seq_blocks_2"];
  EXPECT_NE(message(bad_seed).find("seed.seq_blocks_9"), std::string::npos);
  Json empty = mase_space("name");
  empty["seed"]["seq_blocks_2"]["config"]["weight_width"] = Json::array();
  EXPECT_NE(message(empty).find("weight_width"), std::string::npos);
  Json scalar = mase_space("name");
  scalar["seed"]["seq_blocks_2"]["config"]["weight_width"] = 8;
  EXPECT_NE(message(scalar).find("must be a list"), std::string::npos);
  Json no_by = mase_space("name");
  no_by.erase("setup");
  EXPECT_NE(message(no_by).find("setup"), std::string::npos);
  Json bad_name = mase_space("name");
  bad_name["name"] = "graph/quantize/mixed_precision";
  EXPECT_NE(message(bad_name).find("did you mean"), std::string::npos);
}

}  // namespace chop::space
