// Whole-model training on the fused engine against the LibTorch path (runtime::forward, autograd,
// train::FlatOptimizer) over many steps: losses and final weights within 1e-5 relative for
// jsc-s, the MNIST MLP, a residual conv graph, vgg7 (a few steps) and a fake-quantized jsc
// model; bit-identical results for any thread count and instruction set.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "engine_test_util.h"
#include "graph/builder.h"
#include "models/zoo.h"
#include "runtime/cross_entropy.h"
#include "train/optimizer.h"

namespace chop::engine {
namespace {

using namespace testing;

struct Data {
  at::Tensor x, y;
};

Data dataset(const std::vector<int64_t>& sample, int64_t n, int64_t classes, uint64_t seed) {
  std::vector<int64_t> shape{n};
  shape.insert(shape.end(), sample.begin(), sample.end());
  Data d{randn(shape, seed), at::Tensor()};
  // Labels that depend on the input, so training has something to learn.
  at::Tensor flat = d.x.reshape({n, -1});
  at::Tensor w = randn({flat.size(1), classes}, seed + 1);
  d.y = at::matmul(flat, w).argmax(1);
  return d;
}

struct TrainRun {
  std::vector<double> losses;
  graph::Graph graph;
};

at::Tensor batch_index(int64_t step, int64_t n, int64_t batch) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1000 + step);
  return at::randperm(n, gen).narrow(0, 0, batch);
}

TrainRun torch_train(const graph::Graph& g0, const Data& d, int64_t steps, int64_t batch,
                     const train::OptimizerOptions& oo) {
  TrainRun r{{}, g0.clone()};
  r.graph.set_requires_grad(true);
  train::FlatOptimizer opt(r.graph, oo);
  runtime::RunOptions train_mode;
  train_mode.training = true;
  for (int64_t s = 0; s < steps; ++s) {
    at::Tensor idx = batch_index(s, d.x.size(0), batch);
    opt.zero_grad();
    at::Tensor loss = runtime::cross_entropy(
        runtime::forward(r.graph, d.x.index_select(0, idx), train_mode), d.y.index_select(0, idx));
    loss.backward();
    r.losses.push_back(loss.item<double>());
    opt.step();
  }
  opt.release();
  return r;
}

TrainRun engine_train(const graph::Graph& g0, const Data& d, int64_t steps, int64_t batch,
                      const train::OptimizerOptions& oo, int n_threads = 1,
                      Isa isa = default_isa()) {
  TrainRun r{{}, g0.clone()};
  EngineOptions o;
  o.max_rows = batch;
  o.n_threads = n_threads;
  o.isa = isa;
  o.optimizer.kind = oo.kind == train::OptimizerKind::kSgd     ? OptimizerKind::kSgd
                     : oo.kind == train::OptimizerKind::kAdamW ? OptimizerKind::kAdamW
                                                               : OptimizerKind::kAdam;
  o.optimizer.weight_decay = oo.weight_decay;
  std::string why;
  std::vector<int64_t> sample(d.x.sizes().begin() + 1, d.x.sizes().end());
  auto e = Engine::compile(r.graph, sample, o, &why);
  EXPECT_TRUE(e) << why;
  if (!e) return r;
  at::Tensor x = d.x.contiguous(), y = d.y.contiguous();
  std::vector<int64_t> labels(static_cast<size_t>(batch));
  for (int64_t s = 0; s < steps; ++s) {
    at::Tensor idx = batch_index(s, d.x.size(0), batch);
    for (int64_t i = 0; i < batch; ++i) labels[i] = y[idx[i].item<int64_t>()].item<int64_t>();
    e->zero_grad();
    r.losses.push_back(
        e->forward_backward(x.data_ptr<float>(), idx.data_ptr<int64_t>(), labels.data(), batch)
            .loss);
    e->step(oo.learning_rate);
  }
  e->push();
  return r;
}

void expect_equivalent(const TrainRun& got, const TrainRun& want, double tol = 1e-5) {
  ASSERT_EQ(got.losses.size(), want.losses.size());
  for (size_t i = 0; i < got.losses.size(); ++i)
    ASSERT_NEAR(got.losses[i], want.losses[i], tol * std::abs(want.losses[i])) << "step " << i;
  auto a = got.graph.state_dict(), b = want.graph.state_dict();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].second.scalar_type() != at::kFloat) {
      EXPECT_TRUE(at::equal(a[i].second, b[i].second)) << a[i].first;
      continue;
    }
    EXPECT_LT(rel_err(a[i].second, b[i].second), tol) << a[i].first;
  }
}

void expect_identical(const TrainRun& a, const TrainRun& b) {
  EXPECT_EQ(a.losses, b.losses);
  auto sa = a.graph.state_dict(), sb = b.graph.state_dict();
  for (size_t i = 0; i < sa.size(); ++i)
    EXPECT_TRUE(at::equal(sa[i].second, sb[i].second)) << sa[i].first;
}

graph::Graph zoo(const std::string& name, int64_t in, int64_t classes,
                 std::vector<int64_t> image = {}) {
  models::ModelOptions mo;
  mo.in_features = in;
  mo.n_classes = classes;
  mo.seed = 7;
  if (!image.empty()) {
    mo.image_input = true;
    mo.image_shape = image;
  }
  return models::build_model(name, mo);
}

train::OptimizerOptions adam(double lr = 1e-3, double wd = 0.0) {
  train::OptimizerOptions o;
  o.learning_rate = lr;
  o.weight_decay = wd;
  return o;
}

TEST(EngineModels, JscSTrainsLikeLibTorchFor300Steps) {
  at::set_num_threads(1);
  Data d = dataset({16}, 4096, 5, 1);
  graph::Graph g = zoo("jsc-s", 16, 5);
  expect_equivalent(engine_train(g, d, 300, 128, adam()), torch_train(g, d, 300, 128, adam()));
}

TEST(EngineModels, OptimizersAdamWAndSgdMatchTheFlatOptimizer) {
  at::set_num_threads(1);
  Data d = dataset({16}, 2048, 5, 2);
  graph::Graph g = zoo("jsc-toy", 16, 5);
  train::OptimizerOptions aw = adam(2e-3, 0.01);
  aw.kind = train::OptimizerKind::kAdamW;
  expect_equivalent(engine_train(g, d, 200, 64, aw), torch_train(g, d, 200, 64, aw));
  train::OptimizerOptions sgd = adam(0.05, 5e-4);
  sgd.kind = train::OptimizerKind::kSgd;
  expect_equivalent(engine_train(g, d, 200, 64, sgd), torch_train(g, d, 200, 64, sgd));
  train::OptimizerOptions a = adam(1e-3, 1e-3);  // adam's coupled L2
  expect_equivalent(engine_train(g, d, 200, 64, a), torch_train(g, d, 200, 64, a));
}

TEST(EngineModels, MnistMlpTrainsLikeLibTorch) {
  at::set_num_threads(1);
  Data d = dataset({784}, 1024, 10, 3);
  models::ModelOptions mo;
  graph::Graph g = zoo("mlp", 784, 10);
  expect_equivalent(engine_train(g, d, 100, 64, adam()), torch_train(g, d, 100, 64, adam()));
}

graph::Graph residual_conv_net() {
  using graph::GraphBuilder;
  GraphBuilder b("resnet-block", 11);
  std::string x = b.input("x", {3, 8, 8});
  x = b.module("stem", "conv2d", x,
               Json{{"in_channels", 3}, {"out_channels", 8}, {"kernel_size", 3}, {"padding", 1}});
  x = b.module("stem_bn", "batch_norm2d", x, Json{{"num_features", 8}});
  x = b.module("stem_relu", "relu", x);
  std::string h = b.module("c1", "conv2d", x,
                           Json{{"in_channels", 8},
                                {"out_channels", 8},
                                {"kernel_size", 3},
                                {"padding", 1},
                                {"bias", false}});
  h = b.module("bn1", "batch_norm2d", h, Json{{"num_features", 8}});
  h = b.module("relu1", "relu", h);
  h = b.module("c2", "conv2d", h,
               Json{{"in_channels", 8},
                    {"out_channels", 8},
                    {"kernel_size", 3},
                    {"padding", 1},
                    {"bias", false}});
  h = b.module("bn2", "batch_norm2d", h, Json{{"num_features", 8}});
  x = b.function("add", "add", {h, x});
  x = b.module("relu2", "relu", x);
  x = b.module("pool", "max_pool2d", x, Json{{"kernel_size", 2}});
  x = b.module("gap", "adaptive_avg_pool2d", x, Json{{"output_size", {1, 1}}});
  x = b.function("flatten", "flatten", {x}, Json{{"start_dim", 1}, {"end_dim", -1}});
  return b.finish(b.module("fc", "linear", x, Json{{"in_features", 8}, {"out_features", 4}}));
}

TEST(EngineModels, ResidualConvGraphTrainsLikeLibTorch) {
  at::set_num_threads(1);
  Data d = dataset({3, 8, 8}, 512, 4, 4);
  graph::Graph g = residual_conv_net();
  expect_equivalent(engine_train(g, d, 100, 32, adam()), torch_train(g, d, 100, 32, adam()));
}

TEST(EngineModels, Vgg7TrainsLikeLibTorchForAFewSteps) {
  at::set_num_threads(1);
  Data d = dataset({3, 32, 32}, 8, 10, 5);
  graph::Graph g = zoo("vgg7", 0, 10, {3, 32, 32});
  expect_equivalent(engine_train(g, d, 3, 4, adam()), torch_train(g, d, 3, 4, adam()));
}

TEST(EngineModels, QuantizedJscTrainsLikeLibTorch) {
  at::set_num_threads(1);
  Data d = dataset({16}, 2048, 5, 6);
  graph::Graph g = zoo("jsc-toy", 16, 5);
  for (const char* fc : {"seq_blocks_2", "seq_blocks_5", "seq_blocks_8"})
    quantize_node(g, fc, integer_linear(8, 4, 8, 5, 8, 5));
  for (const char* act : {"seq_blocks_4", "seq_blocks_7"})
    quantize_node(g, act,
                  Json{{"name", "integer"}, {"data_in_width", 8}, {"data_in_frac_width", 4}});
  expect_equivalent(engine_train(g, d, 200, 64, adam()), torch_train(g, d, 200, 64, adam()));
}

// forward() reads contiguous rows where the caller holds them (no copy into the plan): the
// logits are those of the gathering path, the caller's rows stay as they were, and the plan's
// own input buffer serves the next gathered call again.
TEST(EngineModels, ForwardOnContiguousRowsReadsThemInPlaceWithTheGatheredLogits) {
  at::set_num_threads(1);
  Data d = dataset({16}, 300, 5, 8);
  graph::Graph g = zoo("jsc-toy", 16, 5);
  quantize_node(g, "seq_blocks_2", integer_linear(8, 4, 8, 5, 8, 5));
  EngineOptions o;
  o.training = false;
  o.max_rows = 128;
  std::string why;
  std::unique_ptr<Engine> e = Engine::compile(g, {16}, o, &why);
  ASSERT_TRUE(e) << why;
  const at::Tensor x = d.x.contiguous();
  const at::Tensor before = x.clone();
  std::vector<int64_t> index(128);
  for (size_t r = 0; r < index.size(); ++r) index[r] = static_cast<int64_t>(r);
  for (int64_t begin : {0, 100, 172, 299}) {
    SCOPED_TRACE(begin);
    const int64_t n = std::min<int64_t>(128, 300 - begin);
    const float* rows = x.data_ptr<float>() + begin * 16;
    const float* a = e->forward(rows, nullptr, n);
    const std::vector<float> in_place(a, a + n * 5);
    const float* b = e->forward(rows, index.data(), n);
    const std::vector<float> gathered(b, b + n * 5);
    EXPECT_EQ(in_place, gathered);
    const at::Tensor ref = runtime::forward(g, x.narrow(0, begin, n));
    EXPECT_LT(rel_err(at::from_blob(const_cast<float*>(in_place.data()), {n, 5}, at::kFloat), ref),
              1e-5);
  }
  EXPECT_TRUE(at::equal(x, before));
  EXPECT_THROW(e->forward(x.data_ptr<float>(), nullptr, 129), InternalError);
}

TEST(EngineModels, BitIdenticalForAnyThreadCountAndInstructionSet) {
  Data d = dataset({784}, 512, 10, 7);
  graph::Graph g = zoo("mlp", 784, 10);
  at::set_num_threads(1);
  TrainRun one = engine_train(g, d, 20, 128, adam(), 1);
  at::set_num_threads(2);
  TrainRun two = engine_train(g, d, 20, 128, adam(), 0);
  at::set_num_threads(1);
  expect_identical(one, two);
  for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512}) {
    if (!isa_supported(isa) || isa == default_isa()) continue;
    SCOPED_TRACE(isa_name(isa));
    expect_identical(engine_train(g, d, 5, 128, adam(), 1, isa),
                     engine_train(g, d, 5, 128, adam(), 1));
  }
  // Same seed, same run: identical again.
  expect_identical(engine_train(g, d, 20, 128, adam(), 1), one);
}

}  // namespace
}  // namespace chop::engine
