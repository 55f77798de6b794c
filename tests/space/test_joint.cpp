// graph/joint/channel_multiplier_quantize: widths and quantizers of one trial applied together
// (channels first, then quantization by node name), its choice keys, model size at the sampled
// precision and widths, and errors naming the sub-table key.
#include <gtest/gtest.h>

#include "passes/registry.h"
#include "runtime/executor.h"
#include "space/space_test_util.h"

namespace chop::space {
namespace {

using namespace test_util;

Json joint_table() {
  return Json::parse(R"({
    "name": "graph/joint/channel_multiplier_quantize",
    "channels": {"setup": {"mode": "per_layer"},
                 "seed": {"default": {"config": {"channel_multiplier": [1, 2, 4]}}}},
    "quantize": {"setup": {"by": "type"},
                 "seed": {"default": {"config": {"name": [null]}},
                          "linear": {"config": {"name": ["integer"],
                                                "data_in_width": [8], "data_in_frac_width": [4],
                                                "weight_width": [2, 4, 8],
                                                "weight_frac_width": [null],
                                                "bias_width": [8], "bias_frac_width": [4]}}}}
  })");
}

TEST(JointSpace, ChoicesOfBothParts) {
  graph::Graph g = jsc_three();
  auto s = make_graph_space(setup_for(g, joint_table()));
  EXPECT_EQ(s->name(), "graph/joint/channel_multiplier_quantize");
  EXPECT_TRUE(s->copies_weights());
  std::vector<std::string> keys;
  for (const auto& p : s->params()) keys.push_back(p.key);
  ASSERT_GE(keys.size(), 4u);
  EXPECT_EQ(keys[0], "channels/seq_blocks_2/config/channel_multiplier");
  EXPECT_EQ(keys[1], "channels/seq_blocks_4/config/channel_multiplier");
  EXPECT_NE(std::find(keys.begin(), keys.end(), "quantize/seq_blocks_6/config/weight_width"),
            keys.end());
  EXPECT_EQ(s->size(), 9 * 27);  // 3 x 3 widths, 3 weight widths for each of three Linears
}

TEST(JointSpace, RewritesChannelsThenQuantizes) {
  graph::Graph g = jsc_three();
  auto s = make_graph_space(setup_for(g, joint_table()));
  std::map<std::string, Json> sampled;
  for (const auto& p : s->params()) sampled[p.key] = p.choices.front();
  sampled["channels/seq_blocks_2/config/channel_multiplier"] = 2;
  sampled["channels/seq_blocks_4/config/channel_multiplier"] = 4;
  sampled["quantize/seq_blocks_2/config/weight_width"] = 2;
  sampled["quantize/seq_blocks_4/config/weight_width"] = 4;
  sampled["quantize/seq_blocks_6/config/weight_width"] = 8;
  Candidate c = s->build_for_trial(sampled, 5);
  EXPECT_EQ(c.graph.node("seq_blocks_4").attr_int("in_features"), 32);
  EXPECT_EQ(c.graph.node("seq_blocks_4").attr_int("out_features"), 64);
  ASSERT_TRUE(c.graph.node("seq_blocks_4").is_quantized());
  EXPECT_EQ(c.graph.node("seq_blocks_4").quant->config["weight_width"], 4);
  EXPECT_FALSE(c.graph.node("seq_blocks_0").is_quantized());  // batch_norm1d: not quantizable
  EXPECT_FALSE(g.node("seq_blocks_4").is_quantized());        // the base is untouched
  EXPECT_EQ(c.sampled_config["channels"]["seq_blocks_4"]["config"]["channel_multiplier"], 4);
  EXPECT_EQ(c.sampled_config["quantize"]["seq_blocks_2"]["config"]["weight_width"], 2);

  // Size at the sampled widths and precisions: BN 32 floats, then weights at 2/4/8 bits and
  // biases at 8 bits: 16x32, 32x64 and 64x5 weights.
  passes::PassContext ctx;
  auto r = passes::run_pass("model_size", c.graph, Json::object(), ctx);
  const int64_t bits =
      32 * 32 + (16 * 32 * 2 + 32 * 8) + (32 * 64 * 4 + 64 * 8) + (64 * 5 * 8 + 5 * 8);
  EXPECT_EQ(r.info["size_bits"].get<int64_t>(), bits);
  EXPECT_EQ(r.info["params"].get<int64_t>(), 3013);
  // The candidate runs fake-quantized.
  at::Tensor y = runtime::forward(c.graph, at::randn({4, 16}));
  EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{4, 5}));
}

TEST(JointSpace, ErrorsNameTheSubTableKey) {
  graph::Graph g = jsc_three();
  Json t = joint_table();
  t.erase("quantize");
  EXPECT_NE(space_error(g, t).find("search.search_space.quantize"), std::string::npos);
  t = joint_table();
  t["quantize"]["seed"]["seq_blocks_9"] = t["quantize"]["seed"]["linear"];
  EXPECT_NE(space_error(g, t).find("search.search_space.quantize.seed.seq_blocks_9"),
            std::string::npos);
  t = joint_table();
  t["channels"]["seed"]["seq_blocks_9"] = t["channels"]["seed"]["default"];
  EXPECT_NE(space_error(g, t).find("search.search_space.channels.seed.seq_blocks_9"),
            std::string::npos);
  t = joint_table();
  t["chanels"] = t["channels"];
  EXPECT_NE(space_error(g, t).find("did you mean"), std::string::npos);
}

}  // namespace
}  // namespace chop::space
