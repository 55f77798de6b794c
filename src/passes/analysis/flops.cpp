// flops: MASE's per-layer computation counts (calc_modules.py, mase.md §6.4) per node and in
// total, with BatchNorm1d counted as 4 x numel like BatchNorm2d and chop's extensions for ops
// MASE does not list (docs/passes.md).
#include "passes/analysis/flops.h"

#include <ostream>

#include "core/files.h"
#include "core/strings.h"
#include "core/table.h"
#include "passes/metadata.h"
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

int64_t kernel_window(const graph::Node& n, size_t dims) {
  const Json& k = n.attrs.at("kernel_size");
  if (k.is_number_integer()) {
    int64_t w = 1;
    for (size_t i = 0; i < dims; ++i) w *= k.get<int64_t>();
    return w;
  }
  int64_t w = 1;
  for (const auto& v : k) w *= v.get<int64_t>();
  return w;
}

const graph::Json& cost_json(const LayerCost& c, Json& out) {
  out = Json{{"total_parameters", c.total_parameters},
             {"computations", c.computations},
             {"backward_computations", c.backward_computations},
             {"input_buffer_size", c.input_buffer_size},
             {"output_buffer_size", c.output_buffer_size}};
  return out;
}

}  // namespace

LayerCost layer_cost(const graph::Node& n) {
  LayerCost c;
  const auto in = arg_shape(n, "data_in_0");
  const auto out = result_shape(n);
  c.input_buffer_size = in.empty() ? 0 : numel(in);
  c.output_buffer_size = out.empty() ? 0 : numel(out);
  const std::string& op = n.mase_op;
  auto weight_numel = [&]() -> int64_t {
    const at::Tensor* w = n.param("weight");
    return w ? w->numel() : 0;
  };
  if (op == "linear") {
    int64_t batch = in.empty() || in.back() == 0 ? 0 : c.input_buffer_size / in.back();
    c.total_parameters = weight_numel();
    c.computations = weight_numel() * batch;
    c.backward_computations = 2 * c.computations;
  } else if (op == "conv2d" || op == "conv1d") {
    // MASE: out.numel() x (kernel window x C_in); groups and bias are ignored.
    int64_t window = kernel_window(n, op == "conv2d" ? 2 : 1) * (in.size() > 1 ? in[1] : 0);
    c.total_parameters = weight_numel();
    c.computations = c.output_buffer_size * window;
    c.backward_computations = c.input_buffer_size * window * 2;
  } else if (op == "relu" || op == "relu6" || op == "hardtanh" || op == "sigmoid" ||
             op == "leaky_relu" || op == "tanh" || op == "elu" || op == "selu" ||
             op == "hardsigmoid" || op == "hardswish" || op == "softplus" || op == "erf" ||
             op == "gelu" || op == "pow" || op == "abs" || op == "neg" || op == "exp" ||
             op == "log") {
    // hardtanh, sigmoid, leaky_relu, tanh, elu, ...: chop's extension, one operation per element
    // like ReLU.
    c.computations = c.backward_computations = c.input_buffer_size;
  } else if (op == "conv_transpose1d" || op == "conv_transpose2d") {
    // chop: every input element meets out_channels / groups x kernel window weights.
    const int64_t groups = n.attrs.value("groups", int64_t{1});
    const int64_t window = kernel_window(n, op == "conv_transpose2d" ? 2 : 1) *
                           n.attr_int("out_channels") / std::max<int64_t>(groups, 1);
    c.total_parameters = weight_numel();
    c.computations = c.input_buffer_size * window;
    c.backward_computations = 2 * c.computations;
  } else if (op == "upsample") {
    c.computations = c.backward_computations = 0;  // copies
  } else if (op == "prelu") {
    c.total_parameters = weight_numel();
    c.computations = c.backward_computations = c.input_buffer_size;
  } else if (op == "mean" || op == "sum" || op == "amax" || op == "amin") {
    // chop: one accumulate (or compare) per input element, like adaptive pooling.
    c.computations = c.backward_computations = c.input_buffer_size;
  } else if (op == "softmax" || op == "log_softmax") {
    // chop: exp, sum and divide per element.
    c.computations = c.backward_computations = 3 * c.input_buffer_size;
  } else if (op == "layer_norm") {
    c.computations = c.backward_computations = 5 * c.input_buffer_size;
  } else if (op == "batch_norm1d" || op == "batch_norm2d") {
    c.total_parameters = 2 * n.attr_int("num_features");
    c.computations = c.backward_computations = 4 * c.input_buffer_size;
  } else if (op == "max_pool2d" || op == "avg_pool2d" || op == "max_pool1d" || op == "avg_pool1d") {
    int64_t window = kernel_window(n, op == "max_pool1d" || op == "avg_pool1d" ? 1 : 2);
    c.computations = c.output_buffer_size * window;
    c.backward_computations = c.input_buffer_size * window;
  } else if (op == "adaptive_avg_pool2d" || op == "adaptive_avg_pool1d") {
    c.computations = c.backward_computations = c.input_buffer_size;
  } else if (op == "dropout") {
    c.computations = c.backward_computations = 0;
  } else if (op == "add" || op == "sub" || op == "mul" || op == "div" || op == "maximum" ||
             op == "minimum") {
    // MASE counts add as numel(first arg); sub, mul, div, maximum, minimum (chop) likewise.
    c.computations = c.backward_computations = c.input_buffer_size;
  } else if (op == "matmul" || op == "bmm") {
    // chop: one multiply-accumulate per output element and inner index.
    int64_t inner = in.empty() ? 0 : in.back();
    c.computations = c.output_buffer_size * inner;
    c.backward_computations = 2 * c.computations;
  } else {
    c.counted = false;  // placeholder, output, flatten, view, identity, cat, constant
  }
  return c;
}

namespace {

PassResult run(graph::Graph& g, const Json&, PassContext& ctx) {
  ensure_common_metadata(g, ctx);
  Table t{{"Node name", "Mase op", "FLOPs", "Backward", "Parameters"}, {}, {}};
  Json per_node = Json::object();
  int64_t total = 0, total_bw = 0, total_params = 0;
  for (auto& n : g.nodes()) {
    LayerCost c = layer_cost(n);
    Json j;
    n.meta["software"]["flops"] = cost_json(c, j);
    if (!c.counted) continue;
    total += c.computations;
    total_bw += c.backward_computations;
    total_params += c.total_parameters;
    per_node[n.name] = j;
    t.rows.push_back({n.name, n.mase_op, with_thousands(c.computations),
                      with_thousands(c.backward_computations), with_thousands(c.total_parameters)});
  }
  t.rows.push_back(
      {"total", "", with_thousands(total), with_thousands(total_bw), with_thousands(total_params)});
  if (!ctx.save_dir.empty()) write_file_atomic(ctx.save_dir + "/flops.csv", t.to_csv());
  if (ctx.out)
    *ctx.out << "FLOPs per layer (MASE's computations; MACs for linear/conv)\n"
             << t.render(TableStyle::kPretty);
  g.meta()["software"]["flops"] = total;
  PassResult r;
  r.info["total"] = total;
  r.info["total_backward"] = total_bw;
  r.info["total_parameters"] = total_params;
  r.info["per_node"] = per_node;
  return r;
}

}  // namespace

Pass flops_pass() {
  return Pass{"flops",
              "analysis",
              "MASE's per-layer computations (MACs for linear/conv) per node and in total",
              {},
              false,
              run};
}

}  // namespace chop::passes
