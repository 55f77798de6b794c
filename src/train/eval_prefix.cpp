// evaluate() with the leading nodes' activations cached across calls; see eval_prefix.h.
#include "train/eval_prefix.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "engine/engine.h"
#include "graph/builder.h"
#include "runtime/executor.h"

namespace chop::train {
namespace {

// The leading chain: nodes after the input, each unquantized and the only reader-in-the-chain of
// the one before it, as long as no later node reads anything but the chain's last value. Empty
// when the graph does not start that way.
size_t prefix_length(const graph::Graph& g) {
  const auto& nodes = g.nodes();
  if (nodes.size() < 3 || nodes[0].op != graph::FxOp::kPlaceholder) return 0;
  size_t len = 0;  // nodes[1..len] form the chain
  for (size_t i = 1; i + 1 < nodes.size(); ++i) {
    const graph::Node& n = nodes[i];
    if (n.quant || n.op == graph::FxOp::kOutput || n.op == graph::FxOp::kGetAttr ||
        n.inputs.size() != 1 || n.inputs[0] != nodes[i - 1].name)
      break;
    len = i;
  }
  // Shrink until nothing after the chain reads a value inside it other than its last one.
  while (len > 0) {
    bool ok = true;
    for (size_t i = len + 1; i < nodes.size() && ok; ++i)
      for (const std::string& in : nodes[i].inputs)
        for (size_t k = 0; k < len && ok; ++k) ok = in != nodes[k].name;
    if (ok) break;
    --len;
  }
  return len;
}

bool same_tensors(const graph::NamedTensors& a, const graph::NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const at::Tensor &x = a[i].second, &y = b[i].second;
    if (a[i].first != b[i].first || x.defined() != y.defined()) return false;
    if (x.defined() && (x.scalar_type() != y.scalar_type() || x.sizes() != y.sizes() ||
                        x.device() != y.device() || !at::equal(x, y)))
      return false;
  }
  return true;
}

bool same_node(const graph::Node& a, const graph::Node& b) {
  return a.name == b.name && a.op == b.op && a.target == b.target && a.mase_op == b.mase_op &&
         a.inputs == b.inputs && a.attrs == b.attrs && !a.quant && !b.quant &&
         same_tensors(a.params, b.params) && same_tensors(a.buffers, b.buffers);
}

// The prefix's last value for rows [0, rows) of x, on the engine; undefined when it cannot.
at::Tensor prefix_activations(const graph::Graph& g, size_t len, const at::Tensor& x,
                              int64_t rows) {
  graph::Graph p(g.model_name());
  for (size_t i = 0; i <= len; ++i) p.append(g.nodes()[i]);
  if (p.find("output")) return {};
  p.append(graph::output_node(g.nodes()[len].name));
  engine::EngineOptions o;
  o.training = false;
  o.n_threads = 0;
  o.max_rows = std::min<int64_t>(rows, 4096);
  const std::vector<int64_t> sample(x.sizes().begin() + 1, x.sizes().end());
  std::string why;
  std::unique_ptr<engine::Engine> e = engine::Engine::compile(p, sample, o, &why);
  if (!e) return {};
  const int64_t width = e->n_classes(), per_row = e->sample_size();
  at::Tensor act = at::empty({rows, width}, at::kFloat);
  const float* xp = x.data_ptr<float>();
  float* out = act.data_ptr<float>();
  for (int64_t begin = 0; begin < rows; begin += e->max_rows()) {
    const int64_t take = std::min(e->max_rows(), rows - begin);
    const float* y = e->forward(xp + begin * per_row, nullptr, take);
    std::memcpy(out + begin * width, y, sizeof(float) * static_cast<size_t>(take * width));
  }
  return act;
}

// The graph after the prefix, its input standing for the prefix's last value.
graph::Graph tail_graph(const graph::Graph& g, size_t len) {
  const auto& nodes = g.nodes();
  graph::Graph t(g.model_name());
  t.append(nodes[0]);
  const std::string& last = nodes[len].name;
  for (size_t i = len + 1; i < nodes.size(); ++i) {
    graph::Node n = nodes[i];
    for (std::string& in : n.inputs)
      if (in == last) in = nodes[0].name;
    t.append(std::move(n));
  }
  return t;
}

}  // namespace

EvalResult evaluate_with_prefix(graph::Graph& g, const data::TensorDataset& split,
                                int64_t batch_size, int64_t num_samples, const at::Device& device,
                                PrefixCache& cache) {
  const size_t len = prefix_length(g);
  if (len == 0 || batch_size <= 0 || split.size() == 0 || !device.is_cpu() ||
      !split.x.device().is_cpu() || split.x.scalar_type() != at::kFloat || split.x.dim() != 2 ||
      !split.x.is_contiguous() || split.y.scalar_type() != at::kLong || !engine::engine_enabled() ||
      !runtime::rows_independent_in_inference(g))
    return evaluate(g, split, batch_size, num_samples, device);
  int64_t n_batches = data::num_batches(split.size(), batch_size);
  if (num_samples > 0) n_batches = std::min(n_batches, (num_samples + batch_size - 1) / batch_size);
  const int64_t rows = std::min(split.size(), n_batches * batch_size);

  at::Tensor act;
  {
    std::lock_guard<std::mutex> lock(cache.mu_);
    bool hit = cache.act_.defined() && cache.x_.data_ptr() == split.x.data_ptr() &&
               cache.x_.sizes() == split.x.sizes() && cache.rows_ == rows &&
               cache.nodes_.size() == len;
    for (size_t i = 0; hit && i < len; ++i) hit = same_node(cache.nodes_[i], g.nodes()[i + 1]);
    if (hit) {
      ++cache.hits_;
      act = cache.act_;
    } else {
      act = prefix_activations(g, len, split.x, rows);
      if (!act.defined()) return evaluate(g, split, batch_size, num_samples, device);
      cache.nodes_.clear();
      for (size_t i = 1; i <= len; ++i) {
        graph::Node n = g.nodes()[i];
        for (auto& [name, t] : n.params) t = t.defined() ? t.clone() : t;
        for (auto& [name, t] : n.buffers) t = t.defined() ? t.clone() : t;
        cache.nodes_.push_back(std::move(n));
      }
      cache.x_ = split.x;
      cache.rows_ = rows;
      cache.act_ = act;
      ++cache.fills_;
    }
  }
  // The rest on the engine, as evaluate() would run the whole graph; where the engine cannot
  // take it, the whole graph goes the way evaluate() sends it.
  graph::Graph tail = tail_graph(g, len);
  const data::TensorDataset cached{act, split.y.narrow(0, 0, rows)};
  std::string why;
  std::unique_ptr<engine::Engine> e =
      compile_for_evaluation(tail, cached, batch_size, num_samples, device, &why);
  if (!e) return evaluate(g, split, batch_size, num_samples, device);
  return evaluate(*e, cached, batch_size, num_samples);
}

}  // namespace chop::train
