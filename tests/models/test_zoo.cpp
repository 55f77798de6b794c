// Model zoo: exact parameter counts, golden graph text (CHOP_UPDATE_GOLDENS=1 rewrites), equality
// with hand-written LibTorch modules holding the same weights, and trainability.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/files.h"
#include "graph/text.h"
#include "models/zoo.h"
#include "runtime/executor.h"

namespace chop::models {
namespace {

ModelOptions options_for(const ModelEntry& e) {
  ModelOptions o;
  if (e.input_kind == "image") {
    o.image_input = true;
    o.n_classes = 10;
  }
  return o;
}

// Copies graph tensors into a torch::nn module by state-dict name.
void load_into(torch::nn::Module& m, const graph::Graph& g) {
  torch::NoGradGuard ng;
  auto params = m.named_parameters();
  auto buffers = m.named_buffers();
  int copied = 0;
  for (const auto& [name, t] : g.state_dict()) {
    if (auto* p = params.find(name)) {
      p->copy_(t);
      ++copied;
    } else if (auto* b = buffers.find(name)) {
      b->copy_(t);
      ++copied;
    } else {
      ADD_FAILURE() << "no tensor " << name << " in the reference module";
    }
  }
  EXPECT_EQ(copied, static_cast<int>(params.size() + buffers.size()));
}

// The executor's inference fast paths (batch norm folded to x * alpha + beta, ReLU in one pass)
// against the ATen ops they replace, with non-trivial running statistics: an input that
// requires a gradient takes the ATen path.
TEST(Runtime, InferenceBatchNormAndReluMatchTheAtenOps) {
  graph::Graph g = build_jsc_toy({});
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  {
    at::NoGradGuard no_grad;
    for (auto& [name, t] : g.state_dict()) {
      if (name.find("running_var") != std::string::npos)
        t.copy_(at::rand(t.sizes(), gen) * 3 + 0.05);
      else if (t.is_floating_point())
        t.copy_(at::randn(t.sizes(), gen));
    }
  }
  const at::Tensor x = at::randn({64, 16}, gen);
  at::Tensor fast;
  {
    at::NoGradGuard no_grad;
    fast = runtime::forward(g, x, {false});
  }
  const at::Tensor slow = runtime::forward(g, x.clone().set_requires_grad(true), {false}).detach();
  EXPECT_LE((fast - slow).abs().max().item<double>(), 1e-5 * slow.abs().max().item<double>());
  EXPECT_GT(slow.abs().max().item<double>(), 0.0);
}

}  // namespace

TEST(Zoo, ParameterCountsMatchMase) {
  const std::map<std::string, int64_t> expected = {
      {"jsc-tiny", 117}, {"jsc-toy", 327}, {"jsc-s", 5615}, {"jsc-three-linear-layers", 661},
      {"vgg7", 14029450}, {"toy", 253}};
  for (const auto& [name, count] : expected)
    EXPECT_EQ(build_model(name, options_for(model_entry(name))).num_parameters(), count) << name;
}

TEST(Zoo, GoldenGraphText) {
  bool update = std::getenv("CHOP_UPDATE_GOLDENS") != nullptr;
  for (const auto& e : model_registry()) {
    std::string path = std::string(CHOP_SOURCE_DIR) + "/tests/models/golden/" + e.name + ".txt";
    std::string text = graph::print_graph(e.build(options_for(e)));
    if (update) write_file_atomic(path, text);
    EXPECT_EQ(text, read_file(path)) << "golden mismatch for " << e.name
                                     << " (CHOP_UPDATE_GOLDENS=1 to regenerate, then review)";
  }
}

TEST(Zoo, JscToyEqualsHandWrittenModule) {
  graph::Graph g = build_jsc_toy({});
  torch::nn::Sequential ref(
      torch::nn::BatchNorm1d(16), torch::nn::ReLU(), torch::nn::Linear(16, 8),
      torch::nn::BatchNorm1d(8), torch::nn::ReLU(), torch::nn::Linear(8, 8),
      torch::nn::BatchNorm1d(8), torch::nn::ReLU(), torch::nn::Linear(8, 5),
      torch::nn::BatchNorm1d(5), torch::nn::ReLU());
  auto holder = std::make_shared<torch::nn::Module>();
  holder->register_module("seq_blocks", ref.ptr());
  load_into(*holder, g);
  torch::manual_seed(1);
  auto x = torch::randn({32, 16});
  for (bool training : {false, true}) {
    ref->train(training);
    graph::Graph gc = g.clone();
    auto ours = runtime::forward(gc, x, {training});
    auto theirs = ref->forward(x);
    // 1e-5: chop's linear kernel (runtime/linear_cpu) sums in another order than the BLAS, and
    // BatchNorm with batch statistics divides the difference by a 32-row std.
    EXPECT_LE((ours - theirs).abs().max().item<double>(), 1e-5) << "training=" << training;
  }
}

TEST(Zoo, JscSEqualsHandWrittenModule) {
  graph::Graph g = build_jsc_s({});
  torch::nn::ModuleList list(
      torch::nn::BatchNorm1d(16), torch::nn::ReLU(), torch::nn::Linear(16, 64),
      torch::nn::BatchNorm1d(64), torch::nn::ReLU(), torch::nn::Linear(64, 32), torch::nn::ReLU(),
      torch::nn::Linear(32, 32), torch::nn::ReLU(), torch::nn::Linear(32, 32), torch::nn::ReLU(),
      torch::nn::Linear(32, 5), torch::nn::BatchNorm1d(5), torch::nn::ReLU());
  auto holder = std::make_shared<torch::nn::Module>();
  holder->register_module("module_list", list.ptr());
  load_into(*holder, g);
  holder->eval();
  auto x = torch::randn({64, 16});
  torch::Tensor y = x;
  for (size_t i = 0; i < list->size(); ++i) {
    auto any = list[i];
    if (auto* l = any->as<torch::nn::LinearImpl>()) y = l->forward(y);
    else if (auto* b = any->as<torch::nn::BatchNorm1dImpl>()) y = b->forward(y);
    else y = torch::relu(y);
  }
  auto ours = runtime::forward(g, x, {});
  EXPECT_LE((ours - y).abs().max().item<double>(), 1e-6);
}

TEST(Zoo, Vgg7EqualsHandWrittenModule) {
  ModelOptions o;
  o.image_input = true;
  o.n_classes = 10;
  graph::Graph g = build_vgg7(o);
  namespace nn = torch::nn;
  auto conv = [](int64_t i, int64_t c) { return nn::Conv2d(nn::Conv2dOptions(i, c, 3).padding(1)); };
  auto bn = [](int64_t c) { return nn::BatchNorm2d(nn::BatchNorm2dOptions(c).momentum(0.9)); };
  nn::Sequential features(conv(3, 128), bn(128), nn::ReLU(), conv(128, 128), bn(128), nn::ReLU(),
                          nn::MaxPool2d(2), conv(128, 256), bn(256), nn::ReLU(), conv(256, 256),
                          bn(256), nn::ReLU(), nn::MaxPool2d(2), conv(256, 512), bn(512),
                          nn::ReLU(), conv(512, 512), bn(512), nn::ReLU(), nn::MaxPool2d(2));
  nn::Sequential classifier(nn::Linear(8192, 1024), nn::ReLU(), nn::Linear(1024, 1024), nn::ReLU());
  nn::Linear last(1024, 10);
  auto holder = std::make_shared<torch::nn::Module>();
  holder->register_module("feature_layers", features.ptr());
  holder->register_module("classifier", classifier.ptr());
  holder->register_module("last_layer", last.ptr());
  load_into(*holder, g);
  holder->eval();
  torch::NoGradGuard ng;
  auto x = torch::randn({2, 3, 32, 32});
  auto ref = last->forward(classifier->forward(features->forward(x).view({-1, 8192})));
  auto ours = runtime::forward(g, x, {});
  EXPECT_LE((ours - ref).abs().max().item<double>(), 1e-5 * ref.abs().max().item<double>() + 1e-6);
}

TEST(Zoo, TrainingStepsReduceLossAndReachEveryParameter) {
  for (const char* name : {"jsc-tiny", "jsc-toy", "jsc-s", "toy", "mlp"}) {
    graph::Graph g = build_model(name, {});
    torch::manual_seed(0);
    auto x = torch::randn({64, 16});
    auto y = torch::randint(5, {64});
    std::vector<torch::Tensor> params;
    for (auto& [n, p] : g.named_parameters()) params.push_back(p);
    torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-2));
    double first = 0, last = 0;
    for (int step = 0; step < 30; ++step) {
      opt.zero_grad();
      auto loss = torch::cross_entropy_loss(runtime::forward(g, x, {true}), y);
      loss.backward();
      if (step == 0) {
        for (auto& [n, p] : g.named_parameters())
          EXPECT_TRUE(p.grad().defined() && p.grad().abs().sum().item<double>() > 0)
              << name << ": no gradient for " << n;
        first = loss.item<double>();
      }
      last = loss.item<double>();
      opt.step();
    }
    EXPECT_LT(last, first * 0.9) << name;
  }
}

}  // namespace chop::models
