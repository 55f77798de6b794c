// redefine_channels: MASE lab 4's targets, VGG7 with per-layer multipliers (parameter counts
// computed by hand below), consistency/conflict rules, weight initialisation and inheritance.
// The resulting graph texts are goldens of the transform driver (tests/passes/golden/transforms/).
#include <gtest/gtest.h>

#include "core/error.h"
#include "graph/builder.h"
#include "graph/text.h"
#include "graph/verify.h"
#include "models/zoo.h"
#include "passes/registry.h"
#include "passes/transforms/redefine_channels.h"
#include "runtime/executor.h"

namespace chop::passes {
namespace {

using graph::Graph;

Graph jsc_three() {
  return models::build_jsc_three_linear_layers({});
}
Graph vgg7() {
  models::ModelOptions o;
  o.image_input = true;
  o.n_classes = 10;
  return models::build_vgg7(o);
}

std::vector<int64_t> shape(const Graph& g, const std::string& node, const std::string& p) {
  const at::Tensor* t = g.node(node).param(p);
  EXPECT_NE(t, nullptr) << node << "." << p;
  return t ? std::vector<int64_t>(t->sizes().begin(), t->sizes().end()) : std::vector<int64_t>{};
}
std::pair<int64_t, int64_t> linear_dims(const Graph& g, const std::string& node) {
  const auto& n = g.node(node);
  return {n.attr_int("in_features"), n.attr_int("out_features")};
}
using Dims = std::pair<int64_t, int64_t>;

// Runs the pass and returns the message of the ConfigError it must throw.
std::string config_error(Graph& g, const Json& cfg) {
  try {
    redefine_channels(g, cfg, 0, "passes.redefine_channels");
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for " << cfg.dump();
  return "";
}

Json entry(const std::string& name, double m) {
  return Json{{"config", {{"name", name}, {"channel_multiplier", m}}}};
}

// The lab-4 config: every Linear doubled, MASE keys and layout.
Json lab4_uniform_config() {
  return Json{{"by", "name"},
              {"default", {{"config", {{"name", nullptr}}}}},
              {"seq_blocks_2", entry("output_only", 2)},
              {"seq_blocks_4", entry("both", 2)},
              {"seq_blocks_6", entry("input_only", 2)}};
}

int64_t lin(int64_t i, int64_t o) {
  return i * o + o;
}
int64_t conv3(int64_t i, int64_t o) {
  return o * i * 9 + o;
}
int64_t bn(int64_t c) {
  return 2 * c;
}

}  // namespace

TEST(RedefineChannels, Lab4UniformDoubling) {
  Graph g = jsc_three();
  ASSERT_EQ(g.num_parameters(), 661);
  auto r = redefine_channels(g, lab4_uniform_config(), 0, "passes.redefine_channels");
  EXPECT_EQ(linear_dims(g, "seq_blocks_2"), Dims(16, 32));
  EXPECT_EQ(linear_dims(g, "seq_blocks_4"), Dims(32, 32));
  EXPECT_EQ(linear_dims(g, "seq_blocks_6"), Dims(32, 5));
  // BN(16) 32 + Linear(16,32) 544 + Linear(32,32) 1056 + Linear(32,5) 165.
  EXPECT_EQ(g.num_parameters(), bn(16) + lin(16, 32) + lin(32, 32) + lin(32, 5));
  EXPECT_EQ(g.num_parameters(), 1797);
  EXPECT_EQ(r.params_before, 661);
  EXPECT_EQ(r.params_after, 1797);
  ASSERT_EQ(r.resized.size(), 3u);
  EXPECT_EQ(r.resized[1].name, "seq_blocks_4");
  EXPECT_EQ(r.resized[1].in_after, 32);
  auto y = runtime::forward(g, at::randn({4, 16}));
  EXPECT_EQ(y.sizes(), (at::IntArrayRef{4, 5}));

  // The same network from a `default`, by type, and from the search-space helper: the model
  // input (16) and the classes (5) stay because default/by-type requests skip pinned widths.
  std::string text = graph::print_graph(g);
  Graph d = jsc_three();
  auto rd = redefine_channels(
      d, Json{{"default", {{"config", {{"name", "both"}, {"channel_multiplier", 2}}}}}}, 0, "");
  EXPECT_EQ(graph::print_graph(d), text);
  EXPECT_EQ(rd.ignored.size(), 2u);  // seq_blocks_2's input, seq_blocks_6's output
  Graph t = jsc_three();
  redefine_channels(t, Json{{"by", "type"}, {"linear", entry("both", 2)}}, 0, "");
  EXPECT_EQ(graph::print_graph(t), text);
  EXPECT_EQ(graph::print_graph(with_uniform_channel_multiplier(jsc_three(), 2.0, 0)), text);
}

TEST(RedefineChannels, Lab4Target16_32_64_5) {
  Graph g = jsc_three();
  Json both_2_4 = {
      {"config", {{"name", "both"}, {"channel_multiplier_in", 2}, {"channel_multiplier_out", 4}}}};
  auto r = redefine_channels(g,
                             Json{{"seq_blocks_2", entry("output_only", 2)},
                                  {"seq_blocks_4", both_2_4},
                                  {"seq_blocks_6", entry("input_only", 4)}},
                             0, "passes.redefine_channels");
  EXPECT_EQ(linear_dims(g, "seq_blocks_2"), Dims(16, 32));
  EXPECT_EQ(linear_dims(g, "seq_blocks_4"), Dims(32, 64));
  EXPECT_EQ(linear_dims(g, "seq_blocks_6"), Dims(64, 5));
  EXPECT_EQ(g.num_parameters(), bn(16) + lin(16, 32) + lin(32, 64) + lin(64, 5));
  EXPECT_EQ(g.num_parameters(), 3013);
  EXPECT_TRUE(r.ignored.empty());
  EXPECT_EQ(runtime::forward(g, at::randn({3, 16})).sizes(), (at::IntArrayRef{3, 5}));

  // Inputs follow their producers, so output multipliers alone give the same network.
  Graph o = jsc_three();
  redefine_channels(o,
                    Json{{"seq_blocks_2", {{"channel_multiplier_out", 2}}},
                         {"seq_blocks_4", {{"channel_multiplier_out", 4}}}},
                    0, "");
  EXPECT_EQ(graph::print_graph(o), graph::print_graph(g));
  Graph h = with_channel_multipliers(
      jsc_three(), {{"seq_blocks_2", {std::nullopt, 2.0}}, {"seq_blocks_4", {2.0, 4.0}}}, 0);
  EXPECT_EQ(graph::print_graph(h), graph::print_graph(g));
}

TEST(RedefineChannels, MaseBothUsesOneMultiplier) {
  // MASE's "both" scales in and out by the same factor: with x2 on seq_blocks_4 its input
  // (32) must match seq_blocks_2's output x2.
  Graph g = jsc_three();
  redefine_channels(
      g, Json{{"seq_blocks_2", entry("output_only", 2)}, {"seq_blocks_4", entry("both", 2)}}, 0,
      "");
  EXPECT_EQ(linear_dims(g, "seq_blocks_4"), Dims(32, 32));
  EXPECT_EQ(linear_dims(g, "seq_blocks_6"), Dims(32, 5));  // input followed
}

TEST(RedefineChannels, Vgg7PerLayerMultipliers) {
  Graph g = vgg7();
  ASSERT_EQ(g.num_parameters(), 14029450);
  Json cfg = {{"feature_layers_0", entry("output_only", 0.5)},
              {"feature_layers_3", entry("output_only", 2)},
              {"feature_layers_17", {{"config", {{"channel_multiplier_out", 0.5}}}}},
              {"classifier_0", {{"config", {{"channel_multiplier_out", 0.5}}}}}};
  redefine_channels(g, cfg, 1, "passes.redefine_channels");
  // Channels 64, 256, 256, 256, 512, 256; flatten 256*4*4 = 4096; classifier 4096 -> 512.
  const int64_t features = conv3(3, 64) + bn(64) + conv3(64, 256) + bn(256) + conv3(256, 256) +
                           bn(256) + conv3(256, 256) + bn(256) + conv3(256, 512) + bn(512) +
                           conv3(512, 256) + bn(256);
  const int64_t classifier = lin(4096, 512) + lin(512, 1024) + lin(1024, 10);
  EXPECT_EQ(g.num_parameters(), features + classifier);
  EXPECT_EQ(g.num_parameters(), 6326154);
  EXPECT_EQ(g.node("feature_layers_4").attr_int("num_features"), 256);
  EXPECT_EQ(g.node("feature_layers_7").attr_int("in_channels"), 256);
  EXPECT_EQ(g.node("feature_layers_18").attr_int("num_features"), 256);
  EXPECT_EQ(g.node("view").attrs["shape"], Json::array({-1, 4096}));
  EXPECT_EQ(linear_dims(g, "classifier_0"), Dims(4096, 512));
  EXPECT_EQ(linear_dims(g, "classifier_2"), Dims(512, 1024));
  EXPECT_EQ(shape(g, "feature_layers_18", "weight"), (std::vector<int64_t>{256}));
  at::NoGradGuard ng;
  EXPECT_EQ(runtime::forward(g, at::randn({2, 3, 32, 32})).sizes(), (at::IntArrayRef{2, 10}));

  // The brief's example without the last conv: flatten width unchanged (512*4*4 = 8192).
  Graph b = vgg7();
  cfg.erase("feature_layers_17");
  redefine_channels(b, cfg, 1, "");
  EXPECT_EQ(b.num_parameters(), conv3(3, 64) + bn(64) + conv3(64, 256) + bn(256) + conv3(256, 256) +
                                    bn(256) + conv3(256, 256) + bn(256) + conv3(256, 512) +
                                    bn(512) + conv3(512, 512) + bn(512) + lin(8192, 512) +
                                    lin(512, 1024) + lin(1024, 10));
  EXPECT_EQ(b.num_parameters(), 9603722);
  EXPECT_EQ(b.node("view").attrs["shape"], Json::array({-1, 8192}));
}

TEST(RedefineChannels, ConflictNamesBothNodes) {
  Graph g = jsc_three();
  std::string before = graph::print_graph(g);
  std::string msg = config_error(
      g, Json{{"seq_blocks_2", entry("output_only", 4)}, {"seq_blocks_4", entry("input_only", 2)}});
  EXPECT_NE(msg.find("seq_blocks_2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("seq_blocks_4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("passes.redefine_channels.seq_blocks_4.config"), std::string::npos) << msg;
  EXPECT_EQ(graph::print_graph(g), before);  // untouched on error
}

TEST(RedefineChannels, PinnedWidths) {
  Graph g = jsc_three();
  std::string msg = config_error(g, Json{{"seq_blocks_6", entry("output_only", 2)}});
  EXPECT_NE(msg.find("seq_blocks_6"), std::string::npos) << msg;
  EXPECT_NE(msg.find("classes"), std::string::npos) << msg;
  msg = config_error(g, Json{{"seq_blocks_2", entry("both", 2)}});
  EXPECT_NE(msg.find("model input"), std::string::npos) << msg;
  // x1 on a pinned width is no change, hence fine.
  EXPECT_FALSE(redefine_channels(g, Json{{"seq_blocks_6", entry("both", 1)}}, 0, "").changed());
}

TEST(RedefineChannels, BadValuesNameNodeAndKey) {
  Graph g = jsc_three();
  std::string msg = config_error(g, Json{{"seq_blocks_4", entry("both", 0)}});
  EXPECT_NE(msg.find("seq_blocks_4.config.channel_multiplier"), std::string::npos) << msg;
  msg = config_error(g, Json{{"seq_blocks_4", {{"channel_multiplier_in", -2}}}});
  EXPECT_NE(msg.find("seq_blocks_4.channel_multiplier_in"), std::string::npos) << msg;
  msg = config_error(g, Json{{"seq_blocks_4", entry("outputs_only", 2)}});
  EXPECT_NE(msg.find("did you mean 'output_only'"), std::string::npos) << msg;
  msg = config_error(g, Json{{"seq_block_4", entry("both", 2)}});
  EXPECT_NE(msg.find("did you mean 'seq_blocks_4'"), std::string::npos) << msg;
  msg = config_error(g, Json{{"seq_blocks_4", {{"config", {{"channel_multipler", 2}}}}}});
  EXPECT_NE(msg.find("did you mean 'channel_multiplier'"), std::string::npos) << msg;
  msg = config_error(g, Json{{"seq_blocks_0", entry("both", 2)}});
  EXPECT_NE(msg.find("batch_norm1d"), std::string::npos) << msg;
  msg = config_error(g, Json{{"seq_blocks_4", {{"channel_multiplier", 2}}}});
  EXPECT_NE(msg.find("needs name"), std::string::npos) << msg;
  msg = config_error(
      g, Json{{"seq_blocks_4", {{"name", "output_only"}, {"channel_multiplier_in", 2}}}});
  EXPECT_NE(msg.find("contradicts"), std::string::npos) << msg;
  msg = config_error(g, Json{{"by", "type"}, {"relu", entry("both", 2)}});
  EXPECT_NE(msg.find("relu"), std::string::npos) << msg;
  // MASE's name = None leaves a node alone; parent_block_name is accepted.
  Json ok = {
      {"seq_blocks_4",
       {{"config",
         {{"name", nullptr}, {"channel_multiplier", 2}, {"parent_block_name", "seq_blocks"}}}}}};
  EXPECT_FALSE(redefine_channels(g, ok, 0, "").changed());
}

TEST(RedefineChannels, RoundingToNearestAtLeastOne) {
  Graph g = jsc_three();
  redefine_channels(g,
                    Json{{"seq_blocks_2", {{"channel_multiplier_out", 0.3}}},
                         {"seq_blocks_4", {{"channel_multiplier_out", 0.01}}}},
                    0, "");
  EXPECT_EQ(linear_dims(g, "seq_blocks_2"), Dims(16, 5));  // 4.8 -> 5
  EXPECT_EQ(linear_dims(g, "seq_blocks_4"), Dims(5, 1));   // 0.16 -> 0 -> 1
  EXPECT_EQ(linear_dims(g, "seq_blocks_6"), Dims(1, 5));
}

TEST(RedefineChannels, NameEntriesBeatDefault) {
  Graph g = jsc_three();
  auto r = redefine_channels(
      g, Json{{"default", entry("both", 2)}, {"seq_blocks_2", entry("output_only", 4)}}, 0, "");
  EXPECT_EQ(linear_dims(g, "seq_blocks_2"), Dims(16, 64));
  EXPECT_EQ(linear_dims(g, "seq_blocks_4"), Dims(64, 32));
  EXPECT_EQ(linear_dims(g, "seq_blocks_6"), Dims(32, 5));
  bool overridden = false;
  for (const auto& s : r.ignored) overridden |= s.find("overridden") != std::string::npos;
  EXPECT_TRUE(overridden);
}

TEST(RedefineChannels, FreshWeightsAreSeededDefaultInit) {
  Graph a = jsc_three(), b = jsc_three(), c = jsc_three();
  at::Tensor bn_before = a.node("seq_blocks_0").param("weight")->clone();
  at::Tensor w6_before = a.node("seq_blocks_6").param("weight")->clone();
  Json cfg = {{"seq_blocks_2", entry("output_only", 2)}};
  redefine_channels(a, cfg, 7, "");
  redefine_channels(b, cfg, 7, "");
  redefine_channels(c, cfg, 8, "");
  const at::Tensor& w2 = *a.node("seq_blocks_2").param("weight");
  EXPECT_TRUE(w2.equal(*b.node("seq_blocks_2").param("weight")));
  EXPECT_FALSE(w2.equal(*c.node("seq_blocks_2").param("weight")));
  EXPECT_LE(w2.abs().max().item<double>(), 1.0 / std::sqrt(16.0));  // U(-1/sqrt(fan_in), ..)
  EXPECT_LE(a.node("seq_blocks_4").param("weight")->abs().max().item<double>(),
            1.0 / std::sqrt(32.0));
  EXPECT_TRUE(w2.requires_grad());
  EXPECT_TRUE(a.node("seq_blocks_0").param("weight")->equal(bn_before));  // untouched
  EXPECT_TRUE(a.node("seq_blocks_6").param("weight")->equal(w6_before));
}

TEST(RedefineChannels, InheritTilesAndSlicesPerChannel) {
  Graph g = jsc_three();
  at::Tensor w2 = g.node("seq_blocks_2").param("weight")->detach().clone();
  at::Tensor b2 = g.node("seq_blocks_2").param("bias")->detach().clone();
  at::Tensor w4 = g.node("seq_blocks_4").param("weight")->detach().clone();
  redefine_channels(g,
                    Json{{"inherit_weights", true},
                         {"seq_blocks_2", entry("output_only", 2)},
                         {"seq_blocks_4", {{"channel_multiplier_out", 0.5}}}},
                    0, "");
  const at::Tensor& n2 = *g.node("seq_blocks_2").param("weight");
  ASSERT_EQ(n2.sizes(), (at::IntArrayRef{32, 16}));
  EXPECT_TRUE(n2.slice(0, 0, 16).equal(w2));   // rows 0..15: the old rows
  EXPECT_TRUE(n2.slice(0, 16, 32).equal(w2));  // rows 16..31: the old rows again
  EXPECT_TRUE(g.node("seq_blocks_2").param("bias")->slice(0, 16, 32).equal(b2));
  const at::Tensor& n4 = *g.node("seq_blocks_4").param("weight");
  ASSERT_EQ(n4.sizes(), (at::IntArrayRef{8, 32}));
  at::Tensor want4 = at::cat({w4, w4}, 1).slice(0, 0, 8);  // inputs tiled, outputs sliced
  EXPECT_TRUE(n4.equal(want4));
  EXPECT_TRUE(n2.requires_grad() && n2.is_leaf());
}

TEST(RedefineChannels, BatchNormFollowsFreshOrInherited) {
  Graph g = models::build_jsc_toy({});
  runtime::RunOptions train;
  train.training = true;
  runtime::forward(g, at::randn({8, 16}), train);  // move the running statistics
  at::Tensor mean = g.node("seq_blocks_3").buffer("running_mean")->clone();
  Graph h = g.clone();
  redefine_channels(g, Json{{"seq_blocks_2", entry("output_only", 2)}}, 0, "");
  auto& bn3 = g.node("seq_blocks_3");
  EXPECT_EQ(bn3.attr_int("num_features"), 16);
  EXPECT_TRUE(bn3.param("weight")->equal(at::ones({16})));
  EXPECT_TRUE(bn3.buffer("running_mean")->equal(at::zeros({16})));
  EXPECT_EQ(bn3.buffer("num_batches_tracked")->item<int64_t>(), 0);
  EXPECT_EQ(linear_dims(g, "seq_blocks_5"), Dims(16, 8));

  redefine_channels(h, Json{{"inherit_weights", true}, {"seq_blocks_2", entry("output_only", 2)}},
                    0, "");
  auto& hb = h.node("seq_blocks_3");
  EXPECT_TRUE(hb.buffer("running_mean")->equal(at::cat({mean, mean})));
  EXPECT_EQ(hb.buffer("num_batches_tracked")->item<int64_t>(), 1);
}

TEST(RedefineChannels, InheritThroughFlattenKeepsChannelBlocks) {
  Graph g = vgg7();
  at::Tensor w = g.node("classifier_0").param("weight")->detach().clone();  // [1024, 8192]
  redefine_channels(
      g, Json{{"inherit_weights", true}, {"feature_layers_17", {{"channel_multiplier_out", 0.25}}}},
      0, "");
  const at::Tensor& n = *g.node("classifier_0").param("weight");
  ASSERT_EQ(n.sizes(), (at::IntArrayRef{1024, 128 * 16}));
  EXPECT_TRUE(n.equal(w.slice(1, 0, 128 * 16)));  // channels 0..127, each with its 4x4 block
  EXPECT_EQ(g.node("view").attrs["shape"], Json::array({-1, 2048}));
}

TEST(RedefineChannels, ResidualAddTiesBothBranches) {
  graph::GraphBuilder b("residual", 0);
  std::string x = b.input("x", {8});
  std::string h = b.module("fc1", "linear", x, Json{{"in_features", 8}, {"out_features", 16}});
  h = b.module("act", "relu", h);
  std::string y = b.module("fc2", "linear", h, Json{{"in_features", 16}, {"out_features", 16}});
  std::string s = b.function("add", "add", {h, y});
  Graph g = b.finish(b.module("fc3", "linear", s, Json{{"in_features", 16}, {"out_features", 4}}));
  Graph g2 = g.clone();
  redefine_channels(g, Json{{"fc1", {{"channel_multiplier_out", 2}}}}, 0, "");
  EXPECT_EQ(linear_dims(g, "fc2"), Dims(32, 32));
  EXPECT_EQ(linear_dims(g, "fc3"), Dims(32, 4));
  EXPECT_EQ(runtime::forward(g, at::randn({2, 8})).sizes(), (at::IntArrayRef{2, 4}));
  std::string msg = config_error(
      g2, Json{{"fc1", {{"channel_multiplier_out", 2}}}, {"fc2", {{"channel_multiplier_out", 4}}}});
  EXPECT_NE(msg.find("fc1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fc2"), std::string::npos) << msg;
}

TEST(RedefineChannels, Conv1dBatchNorm1dFlattenLinear) {
  graph::GraphBuilder b("conv1d-net", 0);
  std::string x = b.input("x", {4, 10});
  x = b.module("conv", "conv1d", x,
               Json{{"in_channels", 4}, {"out_channels", 6}, {"kernel_size", 3}, {"padding", 1}});
  x = b.module("bn", "batch_norm1d", x, Json{{"num_features", 6}});
  x = b.module("act", "relu", x);
  x = b.function("flatten", "flatten", {x}, Json{{"start_dim", 1}, {"end_dim", -1}});
  Graph g = b.finish(b.module("fc", "linear", x, Json{{"in_features", 60}, {"out_features", 3}}));
  at::Tensor w = g.node("fc").param("weight")->detach().clone();
  redefine_channels(g, Json{{"inherit_weights", true}, {"conv", entry("output_only", 1.5)}}, 0, "");
  EXPECT_EQ(g.node("conv").attr_int("out_channels"), 9);
  EXPECT_EQ(g.node("bn").attr_int("num_features"), 9);
  EXPECT_EQ(linear_dims(g, "fc"), Dims(90, 3));  // 9 channels x length 10
  // Channels 6..8 repeat channels 0..2, each with its 10 positions.
  EXPECT_TRUE(g.node("fc").param("weight")->slice(1, 60, 90).equal(w.slice(1, 0, 30)));
  EXPECT_EQ(g.num_parameters(), (9 * 4 * 3 + 9) + bn(9) + lin(90, 3));
  EXPECT_EQ(runtime::forward(g, at::randn({2, 4, 10})).sizes(), (at::IntArrayRef{2, 3}));
}

TEST(RedefineChannels, ResizableNodesForSearchSpaces) {
  auto nodes = resizable_nodes(jsc_three());
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].name, "seq_blocks_2");
  EXPECT_FALSE(nodes[0].in_resizable);
  EXPECT_TRUE(nodes[0].out_resizable);
  EXPECT_TRUE(nodes[2].in_resizable);
  EXPECT_FALSE(nodes[2].out_resizable);
  auto v = resizable_nodes(vgg7());
  ASSERT_EQ(v.size(), 9u);
  EXPECT_EQ(v[6].name, "classifier_0");
  EXPECT_EQ(v[6].in_width, 8192);
  EXPECT_TRUE(v[6].in_resizable);
}

TEST(RedefineChannels, UniformMultiplierOnEveryZooModel) {
  for (const auto& e : models::model_registry()) {
    if (e.name == "vgg7") continue;                       // covered above; large
    bool can_image = e.name == "mlp" || e.name == "toy";  // flatten / view first
    for (bool image : {false, true}) {
      if (image && !can_image) continue;
      models::ModelOptions o;
      o.image_input = image;
      Graph g = e.build(o);
      for (double m : {0.5, 3.0}) {
        Graph r = with_uniform_channel_multiplier(g, m, 0);
        graph::verify(r);
        at::Tensor x = image ? at::randn({2, 3, 32, 32}) : at::randn({2, 16});
        EXPECT_EQ(runtime::forward(r, x).size(1), 5) << e.name << " x" << m;
        if (e.name != "jsc-tiny") {  // a single Linear(16, 5): nothing hidden to resize
          EXPECT_NE(r.num_parameters(), g.num_parameters()) << e.name << " x" << m;
        }
      }
    }
  }
}

TEST(RedefineChannels, RegisteredPassWithLocations) {
  const Pass* p = find_pass("redefine_channels");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->kind, "transform");
  Graph g = jsc_three();
  PassContext ctx;
  ctx.seed = 3;
  ctx.option_path = "passes.redefine_channels";
  ctx.where = [](const std::string& key) { return "lab4.toml:" + std::to_string(key.size()); };
  Json options = lab4_uniform_config();
  PassResult r = run_pass("redefine_channels", g, options, ctx);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.info["params_after"], 1797);
  EXPECT_EQ(r.info["resized"].size(), 3u);
  EXPECT_EQ(ctx.results["redefine_channels"]["params_before"], 661);
  Graph h = jsc_three();
  try {
    run_pass("redefine_channels", h, Json{{"seq_blocks_4", entry("both", -1)}}, ctx);
    FAIL() << "negative multiplier accepted";
  } catch (const ConfigError& e) {
    std::string m = e.what();
    std::string key = "passes.redefine_channels.seq_blocks_4.config.channel_multiplier";
    EXPECT_NE(m.find("lab4.toml:" + std::to_string(key.size()) + " (" + key + ")"),
              std::string::npos)
        << m;
  }
}

}  // namespace chop::passes
