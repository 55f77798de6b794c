// basic_train on the fused engine and on the LibTorch path: the same metrics and weights bit for
// bit, with MASE's bias-free weight decay, warm-up + cosine schedule and gradient accumulation,
// float and fake-quantized; and the same again with one kernel thread (parallel trials).
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include "engine/engine.h"
#include "models/zoo.h"
#include "passes/transforms/quantize.h"
#include "quant/config.h"
#include "runners/runner.h"

namespace chop::runners {
namespace {

data::Splits splits() {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  at::Tensor w = at::randn({16, 5}, gen);
  auto make = [&](int64_t n) {
    at::Tensor x = at::randn({n, 16}, gen);
    return data::TensorDataset{x, at::matmul(x, w).argmax(1)};
  };
  data::Splits s;
  s.train = make(700);
  s.val = make(300);
  return s;
}

struct Outcome {
  Json metrics;
  graph::NamedTensors state;
};

Outcome run(const graph::Graph& g0, const Json& options, bool engine, int n_threads = 0) {
  engine::set_engine_enabled(engine);
  graph::Graph g = g0.clone();
  const data::Splits data = splits();
  RunnerEnv env;
  env.data = &data;
  env.batch_size = 64;
  env.seed = 9;
  env.n_threads = n_threads;
  const config::Locate locate = [](const std::string& k) { return k; };
  auto runner = make_runner(runner_entry("basic_train", "sw", locate), options, locate);
  at::AutoGradMode grad(true);
  Outcome o{runner->run(g, env), {}};
  o.state = g.state_dict();
  engine::set_engine_enabled(true);
  return o;
}

void expect_same(const Outcome& a, const Outcome& b) {
  EXPECT_EQ(a.metrics.dump(), b.metrics.dump());
  ASSERT_EQ(a.state.size(), b.state.size());
  for (size_t i = 0; i < a.state.size(); ++i)
    EXPECT_TRUE(at::equal(a.state[i].second, b.state[i].second)) << a.state[i].first;
}

Json options(const std::string& optimizer) {
  return Json{{"max_epochs", 3},
              {"optimizer", optimizer},
              {"learning_rate", 5e-3},
              {"weight_decay", 1e-2},
              {"lr_scheduler", "cosine"},
              {"num_warmup_steps", 4},
              {"gradient_accumulation_steps", 3}};
}

TEST(BasicTrain, EngineAndLibTorchPathGiveTheSameNumbers) {
  at::set_num_threads(1);
  models::ModelOptions mo;
  mo.seed = 2;
  for (const char* model : {"jsc-toy", "jsc-three-linear-layers"}) {
    for (const char* opt : {"adam", "adamw", "sgd"}) {
      SCOPED_TRACE(std::string(model) + " " + opt);
      const graph::Graph g = models::build_model(model, mo);
      expect_same(run(g, options(opt), true), run(g, options(opt), false));
    }
  }
}

TEST(BasicTrain, QuantizedCandidateGivesTheSameNumbers) {
  at::set_num_threads(1);
  models::ModelOptions mo;
  graph::Graph g = models::build_model("jsc-toy", mo);
  for (auto& n : g.nodes()) {
    if (n.mase_op != "linear") continue;
    Json c{{"name", "integer"},   {"data_in_width", 8},     {"data_in_frac_width", 4},
           {"weight_width", 4},   {"weight_frac_width", 3}, {"bias_width", 8},
           {"bias_frac_width", 4}};
    n.quant = passes::make_node_quant(quant::parse_node_quant_config(c, n.mase_op, "test"), c, 0,
                                      n.mase_op);
  }
  expect_same(run(g, options("adam"), true), run(g, options("adam"), false));
}

TEST(BasicTrain, OneKernelThreadGivesTheSameNumbers) {
  models::ModelOptions mo;
  const graph::Graph g = models::build_model("mlp", mo);
  at::set_num_threads(2);
  const Outcome many = run(g, options("adam"), true, 0);
  at::set_num_threads(1);
  expect_same(run(g, options("adam"), true, 1), many);
}

}  // namespace
}  // namespace chop::runners
