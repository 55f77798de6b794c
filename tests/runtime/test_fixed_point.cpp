// The bit-exact engine on the zoo: every fixed-point config of MASE's example space
// (jsc_toy_by_type.toml: data_in 4|8, weight 2|4|8, bias 2|4|8, frac "NA") and MASE's fixed.toml
// (8/3 everywhere) equal the fake-quantized float32 path bit for bit where it is exact, the
// inferred formats hold every value of the validation split, and wide accumulators are exact.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "data/registry.h"
#include "graph/builder.h"
#include "models/zoo.h"
#include "passes/registry.h"
#include "runtime/executor.h"
#include "runtime/fixed_point.h"

namespace chop::runtime {
namespace {

using Json = nlohmann::ordered_json;

Json integer_config(int din, int w, int b, Json din_f = nullptr, Json w_f = nullptr,
                    Json b_f = nullptr) {
  return Json{{"name", "integer"},     {"data_in_width", din},     {"data_in_frac_width", din_f},
              {"weight_width", w},     {"weight_frac_width", w_f}, {"bias_width", b},
              {"bias_frac_width", b_f}};
}

graph::Graph zoo_model(const std::string& name, uint64_t seed = 0) {
  models::ModelOptions o;
  o.seed = seed;
  if (models::model_entry(name).input_kind == "image") {
    o.image_input = true;
    o.n_classes = 10;
  }
  return models::build_model(name, o);
}

// MASE's by-type quantization of linear (and conv2d) layers with `cfg`; relu too when given.
void quantize(graph::Graph& g, const Json& cfg, const Json& relu_cfg = nullptr) {
  Json table = {{"by", "type"},
                {"default", {{"config", {{"name", nullptr}}}}},
                {"linear", {{"config", cfg}}},
                {"conv2d", {{"config", cfg}}}};
  if (!relu_cfg.is_null()) table["relu"] = {{"config", relu_cfg}};
  passes::PassContext ctx;
  passes::run_pass("quantize", g, table, ctx);
}

// Trained-looking batch norm statistics, so activations are not all near zero.
void randomize_batch_norm(graph::Graph& g, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& n : g.nodes()) {
    if (n.mase_op != "batch_norm1d" && n.mase_op != "batch_norm2d") continue;
    const int64_t c = n.attr_int("num_features");
    n.buffer("running_mean")->copy_(at::randn({c}, gen) * 0.3);
    n.buffer("running_var")->copy_(at::rand({c}, gen) + 0.5);
  }
}

const data::Splits& jsc() {
  static const data::Splits s = [] {
    data::DatasetOptions o;
    o.n_samples = 20000;
    return data::load_dataset("jsc", o);
  }();
  return s;
}

// Every mismatch is explained: a node differs from the float32 path only where the analysis
// says float32 rounds, or where one of its inputs already differed.
void expect_mismatches_explained(const graph::Graph& g, const BitExactReport& r) {
  std::map<std::string, int64_t> mism;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const auto& s = r.nodes[i];
    bool input_differs = false;
    for (const auto& in : g.nodes()[i].inputs) input_differs |= mism[in] > 0;
    if (s.float32_exact && !input_differs) {
      EXPECT_EQ(s.mismatches, 0) << s.name;
    }
    mism[s.name] = s.mismatches;
  }
}

// The 18 integer configs of MASE's example search space (jsc_toy_by_type.toml).
std::vector<Json> example_space() {
  std::vector<Json> out;
  for (int din : {4, 8})
    for (int w : {2, 4, 8})
      for (int b : {2, 4, 8}) out.push_back(integer_config(din, w, b));
  return out;
}

TEST(BitExact, MaseExampleSpaceOnJscTinyEqualsTheFloatPath) {
  const data::TensorDataset& val = jsc().val;
  for (const Json& cfg : example_space()) {
    graph::Graph g = zoo_model("jsc-tiny", 1);
    randomize_batch_norm(g, 2);
    quantize(g, cfg);
    BitExactEngine engine(g);
    for (int64_t s = 0; s < val.size(); s += 4096)
      engine.run(val.x.narrow(0, s, std::min<int64_t>(4096, val.size() - s)));
    const BitExactReport& r = engine.report();
    SCOPED_TRACE(cfg.dump());
    EXPECT_EQ(r.n_samples, val.size());
    EXPECT_EQ(r.n_integer_mac, 1);
    EXPECT_TRUE(r.float32_exact);
    EXPECT_EQ(r.overflows, 0);
    EXPECT_EQ(r.mismatches, 0);
    EXPECT_EQ(r.output_mismatches, 0);
  }
}

TEST(BitExact, EveryFeatureModelAndExampleConfigOnTheValidationSplit) {
  const data::TensorDataset& val = jsc().val;
  std::vector<Json> configs = example_space();
  configs.push_back(integer_config(8, 8, 8, 3, 3, 3));  // MASE's fixed.toml: 8/3 everywhere
  for (const std::string model : {"jsc-toy", "jsc-s", "jsc-three-linear-layers", "toy", "mlp"}) {
    for (size_t c = 0; c < configs.size(); ++c) {
      graph::Graph g = zoo_model(model, 3);
      randomize_batch_norm(g, 4);
      const bool fixed_toml = c + 1 == configs.size();
      quantize(g, configs[c],
               fixed_toml
                   ? Json{{"name", "integer"}, {"data_in_width", 8}, {"data_in_frac_width", 3}}
                   : Json(nullptr));
      BitExactEngine engine(g);
      for (int64_t s = 0; s < val.size(); s += 4096)
        engine.run(val.x.narrow(0, s, std::min<int64_t>(4096, val.size() - s)));
      const BitExactReport& r = engine.report();
      SCOPED_TRACE(model + " " + configs[c].dump());
      EXPECT_GE(r.n_integer_mac, 2);
      EXPECT_EQ(r.overflows, 0) << r.table();
      expect_mismatches_explained(g, r);
      if (r.float32_exact) {
        EXPECT_EQ(r.mismatches, 0) << r.table();
      }
      for (const auto& s : r.nodes)
        if (s.integer && s.mac) {
          EXPECT_LE(s.observed_width(), s.format.width()) << s.name;
        }
    }
  }
}

TEST(BitExact, Vgg7ConvolutionsAndPools) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const at::Tensor x = at::randn({2, 3, 32, 32}, gen);
  for (const Json& cfg : {integer_config(8, 8, 8), integer_config(4, 2, 4)}) {
    graph::Graph g = zoo_model("vgg7", 6);
    randomize_batch_norm(g, 7);
    quantize(g, cfg, Json{{"name", "integer"}, {"data_in_width", 8}, {"data_in_frac_width", 3}});
    BitExactEngine engine(g);
    engine.run(x);
    const BitExactReport& r = engine.report();
    SCOPED_TRACE(cfg.dump());
    EXPECT_EQ(r.n_integer_mac, 9);  // 6 convs, 3 linears
    EXPECT_EQ(r.overflows, 0) << r.table();
    expect_mismatches_explained(g, r);
  }
}

TEST(BitExact, WideAccumulatorIsExactWhereFloat32Rounds) {
  models::ModelOptions o;
  o.in_features = 16;
  o.hidden_features = {2048};
  o.seed = 9;
  graph::Graph g = models::build_model("mlp", o);
  auto wgen = at::make_generator<at::CPUGeneratorImpl>(8);
  {
    at::NoGradGuard no_grad;
    for (auto& n : g.nodes())
      if (n.mase_op == "linear") n.param("weight")->uniform_(-1, 1, wgen);
  }
  quantize(g, integer_config(12, 12, 12, 4, 11, 8));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(10);
  const at::Tensor x = at::randn({64, 16}, gen) * 8;
  BitExactEngine engine(g);
  engine.run(x);
  const BitExactReport& r = engine.report();
  EXPECT_FALSE(r.float32_exact);
  EXPECT_EQ(r.overflows, 0);
  // Exact reference in float64 (every value below 2^53): the fake-quantized network.
  graph::Graph d = g.clone();
  for (auto& n : d.nodes())
    for (auto& [name, p] : n.params) p = p.detach().to(at::kDouble);
  at::Tensor ref;
  {
    at::NoGradGuard no_grad;
    ref = forward(d, x.to(at::kDouble));
  }
  EXPECT_TRUE(at::equal(engine.last_exact_output(), ref));
  EXPECT_GT(r.output_mismatches, 0) << r.table();
}

TEST(BitExact, RoundingAndOverflowModesKeepFormatsSound) {
  const data::TensorDataset val = jsc().val.slice(0, std::min<int64_t>(4096, jsc().val.size()));
  for (Rounding rd : {Rounding::kHalfUp, Rounding::kTruncate}) {
    for (Overflow ov : {Overflow::kSaturate, Overflow::kWrap}) {
      graph::Graph g = zoo_model("jsc-s", 11);
      randomize_batch_norm(g, 12);
      quantize(g, integer_config(4, 4, 4),
               Json{{"name", "integer"}, {"data_in_width", 4}, {"data_in_frac_width", 1}});
      BitExactOptions opt;
      opt.rounding = rd;
      opt.overflow = ov;
      BitExactEngine engine(g, opt);
      engine.run(val.x);
      SCOPED_TRACE(rounding_name(rd) + "/" + overflow_name(ov));
      EXPECT_EQ(engine.report().overflows, 0) << engine.report().table();
      if (rd == Rounding::kTruncate) {
        EXPECT_GT(engine.report().mismatches, 0);
      }
    }
  }
}

TEST(BitExact, ReportsMinimalAccumulatorWidths) {
  // jsc-tiny's Linear(16, 5) at 8/4 x 8/4 (+ bias 8/4): every box fits the reported format and
  // the format is no wider than the sum of 16 products of 8 x 8 bits (+ bias) needs.
  graph::Graph g = zoo_model("jsc-tiny", 1);
  quantize(g, integer_config(8, 8, 8, 4, 4, 4));
  FixedPointAnalysis a = analyze_fixed_point(g);
  const NodePlan& p = a.nodes[3];
  ASSERT_TRUE(p.integer && p.mac);
  const Kif kif = p.acc.layer_kif();
  EXPECT_EQ(kif.f, 8);  // 4 + 4 at most (hls4ml's minimal f of the weights can only lower it)
  EXPECT_LE(kif.width(), 1 + 15 + 4 + 1);
  EXPECT_GE(kif.width(), 8);
  EXPECT_EQ(p.acc.grid, 8);
  EXPECT_TRUE(p.float32_exact);
}

// A residual block: relu(linear(x)) + linear(x), the add quantized too, then a 1-D conv path
// (view to [N, 1, 16]) — ops the zoo does not use: add, conv1d, unquantized mul of two fixed
// tensors.
graph::Graph residual() {
  graph::GraphBuilder b("residual", 3);
  std::string x = b.input("x", {16});
  std::string a = b.module("a", "linear", x, Json{{"in_features", 16}, {"out_features", 16}});
  std::string ra = b.module("ra", "relu", a);
  std::string c = b.module("c", "linear", x, Json{{"in_features", 16}, {"out_features", 16}});
  std::string s = b.function("add", "add", {ra, c});
  std::string m = b.function("mul", "mul", {s, c});
  std::string v = b.function("view", "view", {m}, Json{{"shape", {-1, 1, 16}}});
  std::string k = b.module("k", "conv1d", v,
                           Json{{"in_channels", 1},
                                {"out_channels", 2},
                                {"kernel_size", 3},
                                {"stride", 1},
                                {"padding", 1}});
  std::string f = b.function("flatten", "flatten", {k}, Json{{"start_dim", 1}, {"end_dim", -1}});
  return b.finish(f);
}

TEST(BitExact, ResidualAddMulAndConv1d) {
  graph::Graph g = residual();
  Json table = {
      {"by", "type"},
      {"default", {{"config", {{"name", nullptr}}}}},
      {"linear", {{"config", integer_config(6, 6, 6, 3, 4, 3)}}},
      {"conv1d", {{"config", integer_config(8, 6, 8, 2, 4, 4)}}},
      {"add",
       {{"config", {{"name", "integer"}, {"data_in_width", 8}, {"data_in_frac_width", 3}}}}}};
  passes::PassContext ctx;
  passes::run_pass("quantize", g, table, ctx);
  BitExactEngine engine(g);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  engine.run(at::randn({256, 16}, gen) * 2);
  const BitExactReport& r = engine.report();
  EXPECT_EQ(r.n_integer_mac, 3);
  for (const auto& s : r.nodes) {
    if (s.name != "x") {
      EXPECT_TRUE(s.integer) << s.name << ": " << s.note;
    }
  }
  EXPECT_EQ(r.overflows, 0) << r.table();
  expect_mismatches_explained(g, r);
  EXPECT_TRUE(r.float32_exact) << r.table();
  EXPECT_EQ(r.mismatches, 0) << r.table();
  // The cost passes on the same graph: HGQ2's add is 0.65 x sum of max(bits) (8-bit
  // quantized operands, 16 elements); QONNX counts add/mul as zero-cost and conv1d's MACs as
  // (2 / 1) x 1 x 3 x 16.
  const Json e = passes::run_pass("ebops", g, Json::object(), ctx).info;
  EXPECT_DOUBLE_EQ(e["per_node"]["add"]["ebops"].get<double>(), 0.65 * 16 * 8);
  const Json ic =
      passes::run_pass("inference_cost", g, Json{{"discount_sparsity", false}}, ctx).info;
  EXPECT_DOUBLE_EQ(ic["per_node"]["k"]["total_macs"].get<double>(), 96.0);
  EXPECT_EQ(ic["zero_cost"], Json::array({"ra", "add", "mul", "view", "flatten"}));
}

TEST(BitExact, GraphWithoutIntegerNodesIsRefused) {
  graph::Graph g = zoo_model("jsc-tiny");
  try {
    BitExactEngine engine(g);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("name = \"integer\""), std::string::npos) << e.what();
  }
  graph::Graph m = zoo_model("jsc-tiny");
  quantize(m, Json{{"name", "minifloat_ieee"},
                   {"data_in_width", 8},
                   {"data_in_exponent_width", 4},
                   {"data_in_exponent_bias", nullptr},
                   {"weight_width", 8},
                   {"weight_exponent_width", 4},
                   {"weight_exponent_bias", nullptr}});
  EXPECT_THROW(BitExactEngine engine(m), UserError);
}

TEST(BitExact, TooWideQuantizerIsRefused) {
  graph::Graph g = zoo_model("jsc-tiny");
  quantize(g, integer_config(63, 8, 8));
  try {
    BitExactEngine engine(g);
    FAIL() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("seq_blocks_2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("62"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chop::runtime
