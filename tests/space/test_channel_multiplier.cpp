// graph/architecture/channel_multiplier: which choices a seed table gives (per_layer, uniform,
// by node, by type, default), lab 4's networks and VGG7 built from sampled multipliers
// (parameter counts by hand), trial-seeded fresh weights, and config errors naming the key.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/executor.h"
#include "space/graph_space.h"
#include "space/space_test_util.h"

namespace chop::space {
namespace {

using namespace test_util;

Json per_layer_table(const Json& seed, const std::string& mode = "per_layer") {
  return Json{{"name", "graph/architecture/channel_multiplier"},
              {"setup", {{"mode", mode}}},
              {"seed", seed}};
}
Json mult(const Json& choices) {
  return Json{{"config", {{"channel_multiplier", choices}}}};
}
std::pair<int64_t, int64_t> dims(const graph::Graph& g, const std::string& node) {
  return {g.node(node).attr_int("in_features"), g.node(node).attr_int("out_features")};
}
using Dims = std::pair<int64_t, int64_t>;

TEST(ChannelMultiplierSpace, PerLayerGivesOneChoicePerResizableOutput) {
  graph::Graph g = jsc_three();
  auto s = make_graph_space(setup_for(g, per_layer_table({{"default", mult({1, 2, 4})}})));
  EXPECT_EQ(s->name(), "graph/architecture/channel_multiplier");
  EXPECT_TRUE(s->copies_weights());
  // seq_blocks_6 feeds the output (the classes): its width is fixed and gets no choice.
  ASSERT_EQ(s->params().size(), 2u);
  EXPECT_EQ(s->params()[0].key, "seq_blocks_2/config/channel_multiplier");
  EXPECT_EQ(s->params()[1].key, "seq_blocks_4/config/channel_multiplier");
  EXPECT_EQ(s->params()[0].choices, (std::vector<Json>{1, 2, 4}));
  EXPECT_EQ(s->size(), 9);
}

TEST(ChannelMultiplierSpace, NodeSeedBeatsTypeSeedBeatsDefault) {
  graph::Graph g = jsc_three();
  auto s =
      make_graph_space(setup_for(g, per_layer_table({{"default", mult({1})},
                                                     {"linear", mult({1, 2})},
                                                     {"seq_blocks_4", mult({0.5, 1, 2, 4})}})));
  ASSERT_EQ(s->params().size(), 2u);
  EXPECT_EQ(s->params()[0].choices.size(), 2u);  // seq_blocks_2: by type
  EXPECT_EQ(s->params()[1].choices.size(), 4u);  // seq_blocks_4: its own seed
  // Without a default only seeded layers are searched.
  auto only = make_graph_space(setup_for(g, per_layer_table({{"seq_blocks_2", mult({2, 4})}})));
  ASSERT_EQ(only->params().size(), 1u);
  EXPECT_EQ(only->params()[0].key, "seq_blocks_2/config/channel_multiplier");
}

TEST(ChannelMultiplierSpace, BuildsLab4Networks) {
  graph::Graph g = jsc_three();
  ASSERT_EQ(g.num_parameters(), 661);
  auto s = make_graph_space(setup_for(g, per_layer_table({{"default", mult({1, 2, 4})}})));
  // Lab 4's task 3 target: 16 -> 32 -> 64 -> 5 from output multipliers alone.
  Candidate c = s->build_for_trial({{"seq_blocks_2/config/channel_multiplier", 2},
                                    {"seq_blocks_4/config/channel_multiplier", 4}},
                                   7);
  EXPECT_EQ(dims(c.graph, "seq_blocks_2"), Dims(16, 32));
  EXPECT_EQ(dims(c.graph, "seq_blocks_4"), Dims(32, 64));
  EXPECT_EQ(dims(c.graph, "seq_blocks_6"), Dims(64, 5));
  EXPECT_EQ(c.graph.num_parameters(), 3013);
  EXPECT_EQ(g.num_parameters(), 661);  // the base is never changed
  // The sampled config is a [passes.redefine_channels] table.
  EXPECT_EQ(c.sampled_config["seq_blocks_4"]["config"]["name"], "output_only");
  EXPECT_EQ(c.sampled_config["seq_blocks_4"]["config"]["channel_multiplier"], 4);
  at::Tensor y = runtime::forward(c.graph, at::randn({8, 16}));
  EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{8, 5}));

  // Uniform mode: one multiplier for every hidden width (lab 4's "uniformly doubled").
  auto u =
      make_graph_space(setup_for(g, per_layer_table({{"default", mult({1, 2, 3})}}, "uniform")));
  ASSERT_EQ(u->params().size(), 1u);
  EXPECT_EQ(u->params()[0].key, "default/config/channel_multiplier");
  Candidate d = u->build({{"default/config/channel_multiplier", 2}});
  EXPECT_EQ(dims(d.graph, "seq_blocks_2"), Dims(16, 32));
  EXPECT_EQ(dims(d.graph, "seq_blocks_4"), Dims(32, 32));
  EXPECT_EQ(dims(d.graph, "seq_blocks_6"), Dims(32, 5));
  EXPECT_EQ(d.graph.num_parameters(), 1797);
  EXPECT_EQ(d.sampled_config["default"]["config"]["name"], "both");
}

TEST(ChannelMultiplierSpace, FreshWeightsAreSeededFromTheTrial) {
  graph::Graph g = jsc_three();
  auto s = make_graph_space(setup_for(g, per_layer_table({{"default", mult({2})}})));
  std::map<std::string, Json> x2 = {{"seq_blocks_2/config/channel_multiplier", 2},
                                    {"seq_blocks_4/config/channel_multiplier", 2}};
  Candidate a = s->build_for_trial(x2, 11), b = s->build_for_trial(x2, 11),
            c = s->build_for_trial(x2, 12);
  const at::Tensor& wa = *a.graph.node("seq_blocks_4").param("weight");
  EXPECT_TRUE(wa.equal(*b.graph.node("seq_blocks_4").param("weight")));
  EXPECT_FALSE(wa.equal(*c.graph.node("seq_blocks_4").param("weight")));
  // PyTorch's default Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = 32.
  EXPECT_LE(wa.abs().max().item<double>(), 1.0 / std::sqrt(32.0) + 1e-6);
  // Candidates own their tensors: training one leaves the base and the others alone.
  {
    at::NoGradGuard no_grad;
    a.graph.node("seq_blocks_6").param("bias")->fill_(3.0);
  }
  EXPECT_FALSE(g.node("seq_blocks_6").param("bias")->eq(3.0).all().item<bool>());
}

TEST(ChannelMultiplierSpace, Vgg7PerLayer) {
  graph::Graph g = vgg7();
  auto s = make_graph_space(setup_for(g, per_layer_table({{"default", mult({0.5, 1, 2})}})));
  // Six convs and the two hidden classifier Linears; last_layer gives the classes.
  std::vector<std::string> keys;
  for (const auto& p : s->params()) keys.push_back(p.key.substr(0, p.key.find('/')));
  EXPECT_EQ(keys,
            (std::vector<std::string>{"feature_layers_0", "feature_layers_3", "feature_layers_7",
                                      "feature_layers_10", "feature_layers_14", "feature_layers_17",
                                      "classifier_0", "classifier_2"}));
  std::map<std::string, Json> sampled;
  for (const auto& p : s->params()) sampled[p.key] = 1;
  sampled["feature_layers_0/config/channel_multiplier"] = 0.5;
  sampled["feature_layers_3/config/channel_multiplier"] = 2;
  sampled["feature_layers_17/config/channel_multiplier"] = 0.5;
  sampled["classifier_0/config/channel_multiplier"] = 0.5;
  Candidate c = s->build_for_trial(sampled, 3);
  // Channels 64, 256, 256, 256, 512, 256; view(-1, 256*4*4); classifier 4096 -> 512 -> 1024.
  const int64_t features = conv3(3, 64) + bn(64) + conv3(64, 256) + bn(256) + conv3(256, 256) +
                           bn(256) + conv3(256, 256) + bn(256) + conv3(256, 512) + bn(512) +
                           conv3(512, 256) + bn(256);
  EXPECT_EQ(c.graph.num_parameters(), features + lin(4096, 512) + lin(512, 1024) + lin(1024, 10));
  EXPECT_EQ(c.graph.num_parameters(), 6326154);
  at::Tensor y = runtime::forward(c.graph, at::randn({2, 3, 32, 32}));
  EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{2, 10}));
}

TEST(ChannelMultiplierSpace, ConfigErrorsNameTheKey) {
  graph::Graph g = jsc_three();
  struct Case {
    Json table;
    std::string must_mention;
  };
  const std::vector<Case> cases = {
      {per_layer_table({{"default", mult({1})}, {"seq_blocks_9", mult({2})}}),
       "search.search_space.seed.seq_blocks_9"},
      {per_layer_table({{"seq_blocks_6", mult({2})}}), "search.search_space.seed.seq_blocks_6"},
      {per_layer_table({{"seq_blocks_0", mult({2})}}), "only linear and conv"},
      {per_layer_table({{"default", mult({0, 2})}}),
       "search.search_space.seed.default.config.channel_multiplier"},
      {per_layer_table({{"default", mult(Json::array())}}), "empty choice list"},
      {per_layer_table({{"default", mult(2)}}), "list of choices"},
      {per_layer_table({{"default", {{"config", {{"channel_multiplyer", {2}}}}}}}), "did you mean"},
      {per_layer_table({{"seq_blocks_2", mult({2})}}, "uniform"), "per_layer"},
      {per_layer_table({{"default", mult({2})}}, "layerwise"), "search.search_space.setup.mode"},
      {Json{{"name", "graph/architecture/channel_multiplier"}}, "search.search_space.seed"},
  };
  for (const auto& c : cases) {
    std::string msg = space_error(g, c.table);
    EXPECT_NE(msg.find(c.must_mention), std::string::npos) << c.table.dump() << "\n" << msg;
  }
  // The first case names the missing node (with the resizable ones listed).
  std::string msg = space_error(g, cases[0].table);
  EXPECT_NE(msg.find("seed.seq_blocks_9"), std::string::npos) << msg;
  EXPECT_NE(msg.find("seq_blocks_2"), std::string::npos) << msg;
}

}  // namespace
}  // namespace chop::space
