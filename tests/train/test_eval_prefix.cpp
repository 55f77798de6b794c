// evaluate_with_prefix: the leading unquantized nodes' activations are cached across candidates
// and the numbers are evaluate()'s, bit for bit; a changed or quantized prefix is not reused.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include "graph/builder.h"
#include "models/zoo.h"
#include "passes/transforms/quantize.h"
#include "quant/config.h"
#include "train/eval_prefix.h"
#include "train_test_util.h"

namespace chop::train {
namespace {

using graph::Json;

void quantize(graph::Graph& g, const std::string& name, const Json& config) {
  graph::Node& n = g.node(name);
  n.quant = passes::make_node_quant(quant::parse_node_quant_config(config, n.mase_op, "test"),
                                    config, 0, n.mase_op);
}

Json integer_linear(int din, int w, int b) {
  return Json{{"name", "integer"},       {"data_in_width", din},     {"data_in_frac_width", din / 2},
              {"weight_width", w},       {"weight_frac_width", w / 2}, {"bias_width", b},
              {"bias_frac_width", b / 2}};
}

void expect_same(const graph::Graph& g0, const data::TensorDataset& d, int64_t num_samples,
                 PrefixCache& cache) {
  graph::Graph g = g0.clone();
  const EvalResult want = evaluate(g, d, 64, num_samples);
  const EvalResult got = evaluate_with_prefix(g, d, 64, num_samples, at::kCPU, cache);
  EXPECT_EQ(got.loss, want.loss);
  EXPECT_EQ(got.accuracy, want.accuracy);
  EXPECT_EQ(got.n_samples, want.n_samples);
}

graph::Graph jsc_tiny() {
  models::ModelOptions mo;
  mo.seed = 3;
  graph::Graph g = models::build_model("jsc-tiny", mo);
  graph::Node& bn = g.node("seq_blocks_0");
  bn.buffer("running_mean")->uniform_(-0.5, 0.5);
  bn.buffer("running_var")->uniform_(0.5, 2.0);
  return g;
}

TEST(EvalPrefix, LinearOnlyCandidatesReuseTheBatchNormReluPrefixWithTheSameNumbers) {
  at::set_num_threads(1);
  auto s = testing::small_splits(10, 1000, 5);
  PrefixCache cache;
  const graph::Graph base = jsc_tiny();
  for (auto [din, w, b] : {std::tuple{8, 8, 8}, {4, 2, 4}, {8, 4, 2}, {4, 8, 8}}) {
    graph::Graph g = base.clone();
    quantize(g, "seq_blocks_2", integer_linear(din, w, b));
    expect_same(g, s.val, -1, cache);
  }
  EXPECT_EQ(cache.fills(), 1);
  EXPECT_EQ(cache.hits(), 3);
  // Fewer rows: computed again for those rows.
  graph::Graph g = base.clone();
  quantize(g, "seq_blocks_2", integer_linear(8, 8, 8));
  expect_same(g, s.val, 300, cache);
  EXPECT_EQ(cache.fills(), 2);
  // Other batch-norm statistics: not the cached prefix.
  graph::Graph other = g.clone();
  other.node("seq_blocks_0").buffer("running_mean")->add_(0.25);
  expect_same(other, s.val, 300, cache);
  EXPECT_EQ(cache.fills(), 3);
  expect_same(g, s.val, 300, cache);
  EXPECT_EQ(cache.fills(), 4);
  EXPECT_EQ(cache.hits(), 3);
}

TEST(EvalPrefix, AQuantizedPrefixNodeEndsThePrefixBeforeIt) {
  at::set_num_threads(1);
  auto s = testing::small_splits(10, 700, 6);
  PrefixCache cache;
  graph::Graph g = jsc_tiny();
  quantize(g, "seq_blocks_2", integer_linear(8, 4, 4));
  expect_same(g, s.val, -1, cache);  // prefix: batch norm, ReLU
  graph::Graph q = g.clone();
  quantize(q, "seq_blocks_1", Json{{"name", "integer"}, {"data_in_width", 4},
                                   {"data_in_frac_width", 2}});
  expect_same(q, s.val, -1, cache);  // prefix: batch norm alone, then the quantized ReLU
  EXPECT_EQ(cache.fills(), 2);
  EXPECT_EQ(cache.hits(), 0);
}

TEST(EvalPrefix, QuantizingTheFirstLayerUsesNoCacheAndAnUnquantizedLinearPrefixIsReused) {
  at::set_num_threads(1);
  auto s = testing::small_splits(10, 500, 7);
  graph::GraphBuilder b("prefix_net", 9);
  std::string x = b.input("x", {16});
  x = b.module("fc1", "linear", x, Json{{"in_features", 16}, {"out_features", 12}});
  x = b.module("act1", "relu", x);
  x = b.module("fc2", "linear", x, Json{{"in_features", 12}, {"out_features", 5}});
  const graph::Graph net = b.finish(x);
  PrefixCache cache;
  graph::Graph first = net.clone();
  quantize(first, "fc1", integer_linear(8, 4, 8));
  quantize(first, "fc2", integer_linear(8, 4, 8));
  expect_same(first, s.val, -1, cache);
  EXPECT_EQ(cache.fills(), 0);  // the first layer is quantized: nothing to reuse
  for (int w : {2, 4, 8}) {
    graph::Graph second = net.clone();
    quantize(second, "fc2", integer_linear(8, w, 8));
    expect_same(second, s.val, -1, cache);
  }
  EXPECT_EQ(cache.fills(), 1);
  EXPECT_EQ(cache.hits(), 2);
}

}  // namespace
}  // namespace chop::train
