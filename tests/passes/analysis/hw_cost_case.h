// The deterministic networks of tools/gen_hw_cost_reference.py: every parameter and batch-norm
// buffer from a closed formula of its state-dict name and element index (exact in float32),
// and the script's quantization configs, so chop and the reference script see the same model.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "graph/graph.h"
#include "models/zoo.h"
#include "passes/registry.h"

namespace chop::passes::testing {

inline uint32_t fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

inline uint32_t element_hash(const std::string& name, int64_t j) {
  return static_cast<uint32_t>(static_cast<uint64_t>(j) * 2654435761ull + fnv1a(name));
}

/// (r - 1000) * 2^-(10 + s) with s = floor(log2(fan_in) / 2); 0 when (h >> 3) % 11 == 0.
inline at::Tensor formula_weight(const std::string& name, at::IntArrayRef shape, int64_t fan_in) {
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(at::kFloat));
  float* p = t.data_ptr<float>();
  int s = 0;
  while ((int64_t{2} << s) <= fan_in) ++s;  // floor(log2(fan_in))
  s /= 2;
  const float scale = std::ldexp(1.0f, -(10 + s));
  for (int64_t j = 0, n = t.numel(); j < n; ++j) {
    const uint32_t h = element_hash(name, j);
    const int r = static_cast<int>((h >> 7) % 2001);
    p[j] = (h >> 3) % 11 == 0 ? 0.0f : static_cast<float>(r - 1000) * scale;
  }
  return t;
}

inline at::Tensor formula_bn(const std::string& name, const std::string& kind, int64_t c) {
  at::Tensor t = at::empty({c}, at::TensorOptions().dtype(at::kFloat));
  float* p = t.data_ptr<float>();
  for (int64_t j = 0; j < c; ++j) {
    const int r = static_cast<int>((element_hash(name, j) >> 7) % 2001);
    if (kind == "weight")
      p[j] = 1.0f + static_cast<float>(r - 1000) * std::ldexp(1.0f, -12);
    else if (kind == "running_var")
      p[j] = 0.5f + static_cast<float>(r) * std::ldexp(1.0f, -11);
    else
      p[j] = static_cast<float>(r - 1000) * std::ldexp(1.0f, -11);
  }
  return t;
}

/// Overwrites every parameter and batch-norm buffer of `g` with the formula's values.
inline void fill_with_formula(graph::Graph& g) {
  at::NoGradGuard no_grad;
  for (auto& n : g.nodes()) {
    const bool bn = n.mase_op == "batch_norm1d" || n.mase_op == "batch_norm2d";
    int64_t fan_in = 1;
    if (const at::Tensor* w = n.param("weight"); w && !bn) fan_in = w->numel() / w->size(0);
    for (auto& [pname, p] : n.params) {
      const std::string name = n.target + "." + pname;
      p.copy_(bn ? formula_bn(name, pname, p.numel()) : formula_weight(name, p.sizes(), fan_in));
    }
    if (bn)
      for (const char* b : {"running_mean", "running_var"})
        n.buffer(b)->copy_(formula_bn(n.target + "." + b, b, n.buffer(b)->numel()));
  }
}

/// The script's configs: "A" = MASE's jsc_toy_by_type.toml (linear/conv2d 8/4), "B" = 6/3
/// inputs, 3/2 weights, 6/3 biases and 6/3 (unsigned) ReLUs; "float" leaves the graph alone.
inline void quantize_like_script(graph::Graph& g, const std::string& config) {
  if (config == "float") return;
  auto cfg = [](int din, int dinf, int w, int wf, int b, int bf) {
    return Json{{"name", "integer"},    {"data_in_width", din},    {"data_in_frac_width", dinf},
                {"weight_width", w},    {"weight_frac_width", wf}, {"bias_width", b},
                {"bias_frac_width", bf}};
  };
  const Json mac = config == "A" ? cfg(8, 4, 8, 4, 8, 4) : cfg(6, 3, 3, 2, 6, 3);
  Json table = {{"by", "type"},
                {"default", {{"config", {{"name", nullptr}}}}},
                {"linear", {{"config", mac}}},
                {"conv2d", {{"config", mac}}}};
  if (config == "B")
    table["relu"] = {
        {"config", {{"name", "integer"}, {"data_in_width", 6}, {"data_in_frac_width", 3}}}};
  PassContext ctx;
  run_pass("quantize", g, table, ctx);
}

inline graph::Graph script_model(const std::string& zoo, const Json& hidden) {
  models::ModelOptions o;
  if (models::model_entry(zoo).input_kind == "image") {
    o.image_input = true;
    o.n_classes = 10;
  }
  if (hidden.is_array()) o.hidden_features = hidden.get<std::vector<int64_t>>();
  graph::Graph g = models::build_model(zoo, o);
  fill_with_formula(g);
  return g;
}

}  // namespace chop::passes::testing
