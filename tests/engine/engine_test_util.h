// Helpers for the engine tests: one LibTorch training step (the reference), the engine's step on
// the same graph and batch, and relative errors.
#pragma once

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "engine/engine.h"
#include "graph/graph.h"
#include "passes/transforms/quantize.h"
#include "quant/config.h"
#include "runtime/executor.h"

namespace chop::engine::testing {

using kernels::default_isa;
using kernels::isa_name;
using kernels::isa_supported;

using Json = graph::Json;

/// max |a - b| / max |b| (0 when both are zero).
inline double rel_err(const at::Tensor& a, const at::Tensor& b) {
  const double den = b.abs().max().item<double>();
  const double num = (a - b).abs().max().item<double>();
  return den > 0 ? num / den : num;
}

/// The four quantizer functions of a node (null pointers when it has none).
struct NodeQuantRefs {
  const std::function<at::Tensor(const at::Tensor&)>*in = nullptr, *w = nullptr, *b = nullptr,
                                       *out = nullptr;
  explicit NodeQuantRefs(const graph::Node& n) {
    static const std::function<at::Tensor(const at::Tensor&)> none;
    in = w = b = out = &none;
    if (!n.quant) return;
    in = &n.quant->data_in;
    w = &n.quant->weight;
    b = &n.quant->bias;
    out = &n.quant->data_out;
  }
};

struct StepResult {
  double loss = 0;
  std::map<std::string, at::Tensor> grads;  // by state name
  at::Tensor input_grad;
  graph::Graph graph;  // after the forward (batch-norm statistics updated)
};

inline std::vector<int64_t> ints(const graph::Node& n, const char* key, size_t dims) {
  const auto& v = n.attrs.at(key);
  if (v.is_number_integer()) return std::vector<int64_t>(dims, v.get<int64_t>());
  return v.get<std::vector<int64_t>>();
}

/// An independent reference: the graph run on ATen's own operators (at::linear, at::conv2d,
/// at::batch_norm, ...) with the nodes' quantizers, as MASE's PyTorch modules compute it.
inline at::Tensor aten_forward(graph::Graph& g, const at::Tensor& x, bool training) {
  std::map<std::string, at::Tensor> v;
  at::Tensor out;
  for (auto& n : g.nodes()) {
    auto q = [&](const std::function<at::Tensor(const at::Tensor&)>* f, const at::Tensor& t) {
      return n.quant && *f ? (*f)(t) : t;
    };
    auto in = [&](size_t i) { return v.at(n.inputs.at(i)); };
    auto param = [&](const char* name) { return n.param(name) ? *n.param(name) : at::Tensor(); };
    at::Tensor y;
    const std::string& op = n.mase_op;
    NodeQuantRefs f(n);
    if (n.op == graph::FxOp::kPlaceholder) {
      y = x;
    } else if (op == "linear") {
      y = q(f.out, at::linear(q(f.in, in(0)), q(f.w, param("weight")),
                              param("bias").defined() ? q(f.b, param("bias")) : at::Tensor()));
    } else if (op == "conv1d" || op == "conv2d") {
      const size_t d = op == "conv1d" ? 1 : 2;
      at::Tensor xi = q(f.in, in(0)), w = q(f.w, param("weight"));
      at::Tensor b = param("bias").defined() ? q(f.b, param("bias")) : at::Tensor();
      y = d == 1 ? at::conv1d(xi, w, b, ints(n, "stride", 1), ints(n, "padding", 1),
                              ints(n, "dilation", 1))
                 : at::conv2d(xi, w, b, ints(n, "stride", 2), ints(n, "padding", 2),
                              ints(n, "dilation", 2));
      y = q(f.out, y);
    } else if (op == "batch_norm1d" || op == "batch_norm2d") {
      at::Tensor* rm = n.buffer("running_mean");
      if (training && rm) n.buffer("num_batches_tracked")->add_(1);
      y = at::batch_norm(in(0), param("weight"), param("bias"), rm ? *rm : at::Tensor(),
                         rm ? *n.buffer("running_var") : at::Tensor(), training || !rm,
                         n.attrs.value("momentum", 0.1), n.attrs.value("eps", 1e-5), false);
    } else if (op == "relu") {
      y = q(f.out, at::relu(q(f.in, in(0))));
    } else if (op == "relu6") {
      y = at::hardtanh(in(0), 0.0, 6.0);
    } else if (op == "hardtanh") {
      y = at::hardtanh(in(0), n.attrs.value("min_val", -1.0), n.attrs.value("max_val", 1.0));
    } else if (op == "max_pool2d" || op == "avg_pool2d") {
      auto k = ints(n, "kernel_size", 2);
      auto st =
          n.attrs.contains("stride") && !n.attrs["stride"].is_null() ? ints(n, "stride", 2) : k;
      y = op == "max_pool2d" ? at::max_pool2d(in(0), k, st, ints(n, "padding", 2))
                             : at::avg_pool2d(in(0), k, st, ints(n, "padding", 2));
    } else if (op == "adaptive_avg_pool2d") {
      y = at::adaptive_avg_pool2d(in(0), ints(n, "output_size", 2));
    } else if (op == "flatten") {
      y = at::flatten(in(0), n.attrs.value("start_dim", int64_t{1}),
                      n.attrs.value("end_dim", int64_t{-1}));
    } else if (op == "view") {
      y = in(0).reshape(n.attrs.at("shape").get<std::vector<int64_t>>());
    } else if (op == "add") {
      y = q(f.in, in(0)) + q(f.in, in(1));
    } else if (op == "dropout" || op == "output") {
      y = in(0);
    } else {
      ADD_FAILURE() << "no ATen reference for " << op;
    }
    v[n.name] = y;
    if (n.op == graph::FxOp::kOutput) out = y;
  }
  return out;
}

/// One training step on the ATen reference (aten_forward, at::cross_entropy_loss, autograd).
inline StepResult torch_step(const graph::Graph& g, const at::Tensor& x, const at::Tensor& y) {
  StepResult r;
  r.graph = g.clone();
  r.graph.set_requires_grad(true);
  at::Tensor xin = x.clone().set_requires_grad(true);
  at::Tensor loss = at::cross_entropy_loss(aten_forward(r.graph, xin, true), y);
  loss.backward();
  r.loss = loss.item<double>();
  for (auto& [name, p] : r.graph.named_parameters())
    r.grads[name] = p.grad().defined() ? p.grad().clone() : at::zeros_like(p);
  r.input_grad = xin.grad();
  return r;
}

/// The same step on the engine (compiled with the input gradient on).
inline StepResult engine_step(const graph::Graph& g, const at::Tensor& x, const at::Tensor& y,
                              Isa isa = default_isa()) {
  StepResult r;
  r.graph = g.clone();
  EngineOptions o;
  o.max_rows = x.size(0);
  o.input_grad = true;
  o.isa = isa;
  std::string why;
  auto e = Engine::compile(r.graph,
                           x.sizes().vec().size() > 1
                               ? std::vector<int64_t>(x.sizes().begin() + 1, x.sizes().end())
                               : std::vector<int64_t>{},
                           o, &why);
  EXPECT_TRUE(e) << why;
  if (!e) return r;
  at::Tensor xc = x.contiguous();
  StepStats s =
      e->forward_backward(xc.data_ptr<float>(), nullptr, y.data_ptr<int64_t>(), x.size(0));
  r.loss = s.loss;
  for (auto& [name, p] : r.graph.named_parameters()) r.grads[name] = e->param_grad(name);
  r.input_grad = e->input_grad();
  e->push();
  return r;
}

/// Expects the engine step to match the LibTorch step within `tol` relative (loss, every
/// parameter gradient, the input gradient, batch-norm statistics).
inline void expect_same_step(const graph::Graph& g, const at::Tensor& x, const at::Tensor& y,
                             double tol = 1e-5) {
  StepResult want = torch_step(g, x, y);
  StepResult got = engine_step(g, x, y);
  EXPECT_NEAR(got.loss, want.loss, tol * std::max(1.0, std::abs(want.loss)));
  for (auto& [name, grad] : want.grads) {
    ASSERT_TRUE(got.grads.count(name)) << name;
    EXPECT_LT(rel_err(got.grads[name], grad), tol) << name;
  }
  ASSERT_TRUE(want.input_grad.defined());
  EXPECT_LT(rel_err(got.input_grad, want.input_grad), tol) << "input gradient";
  auto wb = want.graph.named_buffers(), gb = got.graph.named_buffers();
  ASSERT_EQ(wb.size(), gb.size());
  for (size_t i = 0; i < wb.size(); ++i) {
    if (wb[i].second.scalar_type() != at::kFloat) {
      EXPECT_TRUE(at::equal(wb[i].second, gb[i].second)) << wb[i].first;
      continue;
    }
    EXPECT_LT(rel_err(gb[i].second, wb[i].second), tol) << wb[i].first;
  }
}

/// Attaches quantizers to node `name` from a MASE config table, as the quantize pass does.
inline void quantize_node(graph::Graph& g, const std::string& name, const Json& config) {
  graph::Node& n = g.node(name);
  auto cfg = quant::parse_node_quant_config(config, n.mase_op, "test");
  n.quant = passes::make_node_quant(cfg, config, 0, n.mase_op);
}

inline Json integer_linear(int din, int dinf, int w, int wf, int b, int bf) {
  return Json{{"name", "integer"},    {"data_in_width", din},    {"data_in_frac_width", dinf},
              {"weight_width", w},    {"weight_frac_width", wf}, {"bias_width", b},
              {"bias_frac_width", bf}};
}

inline at::Tensor randn(std::vector<int64_t> shape, uint64_t seed, double scale = 1.0) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn(shape, gen) * scale;
}

inline at::Tensor labels(int64_t n, int64_t classes, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randint(classes, {n}, gen);
}

}  // namespace chop::engine::testing
