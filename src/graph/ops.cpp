// Op table rows: attributes, PyTorch default initialisation and shape rules per mase_op.
#include "graph/ops.h"

#include <cmath>

#include "core/error.h"
#include "core/limits.h"
#include "core/strings.h"
#include "graph/attrs.h"
#include "graph/op_shapes.h"

namespace chop::graph {
namespace {

[[noreturn]] void shape_error(const Node& n, const std::string& msg) {
  throw UserError("node " + n.name + " (" + n.mase_op + "): " + msg);
}

at::Tensor uniform(const Shape& shape, double bound, at::Generator& gen) {
  auto t = at::empty(shape, at::kFloat);
  t.uniform_(-bound, bound, gen);
  return t;
}

// PyTorch's Linear/Conv default: kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void init_weight_bias(Node& n, const Shape& wshape, int64_t fan_in, int64_t n_out,
                      at::Generator& g) {
  double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  n.params.clear();
  n.params.emplace_back("weight", uniform(wshape, bound, g));
  if (n.attrs.value("bias", true)) n.params.emplace_back("bias", uniform({n_out}, bound, g));
}

void init_linear(Node& n, at::Generator& g) {
  int64_t in = n.attr_int("in_features"), out = n.attr_int("out_features");
  init_weight_bias(n, {out, in}, in, out, g);
}

int64_t conv_groups(const Node& n) {
  return n.attrs.value("groups", int64_t{1});
}

Shape int_list(const Node& n, const std::string& key, size_t dims) {
  const auto& v = n.attrs.at(key);
  if (v.is_number_integer()) return Shape(dims, v.get<int64_t>());
  auto s = v.get<Shape>();
  if (s.size() != dims)
    shape_error(n, "attribute " + key + " must have " + std::to_string(dims) + " values");
  return s;
}

void init_conv(Node& n, at::Generator& g, size_t dims) {
  int64_t cin = n.attr_int("in_channels"), cout = n.attr_int("out_channels");
  Shape k = int_list(n, "kernel_size", dims);
  Shape w{cout, cin / conv_groups(n)};
  int64_t fan_in = cin / conv_groups(n);
  for (auto kk : k) {
    w.push_back(kk);
    fan_in *= kk;
  }
  init_weight_bias(n, w, fan_in, cout, g);
}
void init_conv1d(Node& n, at::Generator& g) {
  init_conv(n, g, 1);
}
void init_conv2d(Node& n, at::Generator& g) {
  init_conv(n, g, 2);
}

void init_batch_norm(Node& n, at::Generator&) {
  int64_t c = n.attr_int("num_features");
  n.params.clear();
  n.buffers.clear();
  if (n.attrs.value("affine", true)) {
    n.params.emplace_back("weight", at::ones({c}));
    n.params.emplace_back("bias", at::zeros({c}));
  }
  if (n.attrs.value("track_running_stats", true)) {
    n.buffers.emplace_back("running_mean", at::zeros({c}));
    n.buffers.emplace_back("running_var", at::ones({c}));
    n.buffers.emplace_back("num_batches_tracked", at::zeros({}, at::kLong));
  }
}

void init_layer_norm(Node& n, at::Generator&) {
  Shape s = n.attrs.at("normalized_shape").get<Shape>();
  n.params.clear();
  if (n.attrs.value("elementwise_affine", true)) {
    n.params.emplace_back("weight", at::ones(s));
    n.params.emplace_back("bias", at::zeros(s));
  }
}

// Product of a shape, overflow-checked; a -1 (batch not yet known) contributes its sign only, so
// a view of [-1, 16] as [-1, 4, 4] infers -1 again.
std::optional<int64_t> product(const Shape& s) {
  uint64_t magnitude = 1;
  bool negative = false;
  for (int64_t d : s) {
    if (d < -1) return std::nullopt;
    if (d == -1) {
      negative = !negative;
      continue;
    }
    auto m = checked_mul(magnitude, static_cast<uint64_t>(d));
    if (!m || *m > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    magnitude = *m;
  }
  const auto v = static_cast<int64_t>(magnitude);
  return negative ? -v : v;
}

Shape same_shape(const Node& n, const std::vector<Shape>& in) {
  if (in.empty()) shape_error(n, "expects an input");
  return in[0];
}

Shape linear_shape(const Node& n, const std::vector<Shape>& in) {
  Shape s = same_shape(n, in);
  int64_t want = n.attr_int("in_features");
  if (s.empty() || s.back() != want)
    shape_error(n,
                "expects last input dimension " + std::to_string(want) + ", got " + shape_str(s));
  s.back() = n.attr_int("out_features");
  return s;
}

Shape conv_shape(const Node& n, const std::vector<Shape>& in, size_t dims) {
  Shape s = same_shape(n, in);
  if (s.size() != dims + 2)
    shape_error(n, "expects a " + std::to_string(dims + 2) + "-D input, got " + shape_str(s));
  if (s[1] != n.attr_int("in_channels"))
    shape_error(n, "expects " + std::to_string(n.attr_int("in_channels")) +
                       " input channels, got " + shape_str(s));
  Shape k = int_list(n, "kernel_size", dims), st = int_list(n, "stride", dims),
        p = int_list(n, "padding", dims), d = int_list(n, "dilation", dims);
  Shape out{s[0], n.attr_int("out_channels")};
  for (size_t i = 0; i < dims; ++i) {
    // Attributes are at most 2^31 - 1 (attrs.h), so these products stay far inside int64.
    const int64_t span = s[2 + i] + 2 * p[i] - d[i] * (k[i] - 1) - 1;
    if (span < 0)
      shape_error(n, "kernel " + shape_str(k) + " (dilation " + shape_str(d) +
                         ") does not fit the padded input " + shape_str(s));
    out.push_back(span / st[i] + 1);
  }
  return out;
}
Shape conv1d_shape(const Node& n, const std::vector<Shape>& in) {
  return conv_shape(n, in, 1);
}
Shape conv2d_shape(const Node& n, const std::vector<Shape>& in) {
  return conv_shape(n, in, 2);
}

Shape bn_shape(const Node& n, const std::vector<Shape>& in) {
  Shape s = same_shape(n, in);
  if (s.size() < 2 || s[1] != n.attr_int("num_features"))
    shape_error(n, "expects " + std::to_string(n.attr_int("num_features")) +
                       " features in dimension 1, got " + shape_str(s));
  return s;
}

Shape adaptive_pool2d_shape(const Node& n, const std::vector<Shape>& in) {
  Shape s = same_shape(n, in);
  if (s.size() != 4) shape_error(n, "expects a 4-D input, got " + shape_str(s));
  Shape o = int_list(n, "output_size", 2);
  return {s[0], s[1], o[0], o[1]};
}

Shape flatten_shape(const Node& n, const std::vector<Shape>& in) {
  Shape s = same_shape(n, in);
  int64_t start = n.attrs.value("start_dim", int64_t{1});
  int64_t end = n.attrs.value("end_dim", int64_t{-1});
  int64_t r = static_cast<int64_t>(s.size());
  if (start < 0) start += r;
  if (end < 0) end += r;
  if (start < 0 || end >= r || start > end)
    shape_error(n, "start_dim/end_dim do not fit an input of shape " + shape_str(s));
  Shape out(s.begin(), s.begin() + start);
  auto prod = product(Shape(s.begin() + start, s.begin() + end + 1));
  if (!prod) shape_error(n, "flattened size of " + shape_str(s) + " overflows 64 bits");
  out.push_back(*prod);
  out.insert(out.end(), s.begin() + end + 1, s.end());
  return out;
}

Shape view_shape(const Node& n, const std::vector<Shape>& in) {
  Shape s = same_shape(n, in);
  Shape want = n.attrs.at("shape").get<Shape>();
  int64_t known = 1, infer_at = -1;
  auto total_count = product(s);
  if (!total_count) shape_error(n, "input size of " + shape_str(s) + " overflows 64 bits");
  const int64_t total = *total_count;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == -1) {
      if (infer_at >= 0) shape_error(n, "only one dimension of a view may be -1");
      infer_at = static_cast<int64_t>(i);
    } else {
      auto k = checked_mul(static_cast<uint64_t>(known), static_cast<uint64_t>(want[i]));
      if (!k || *k > static_cast<uint64_t>(INT64_MAX))
        shape_error(n, "view shape " + shape_str(want) + " overflows 64 bits");
      known = static_cast<int64_t>(*k);
    }
  }
  if (infer_at >= 0) {
    if (known == 0 || total % known)
      shape_error(n, "cannot view " + shape_str(s) + " as " + shape_str(want));
    want[infer_at] = total / known;
  } else if (known != total) {
    shape_error(n, "cannot view " + shape_str(s) + " as " + shape_str(want));
  }
  return want;
}

Shape broadcast_shape(const Node& n, const std::vector<Shape>& in) {
  if (in.size() != 2) shape_error(n, "expects two inputs");
  const Shape &a = in[0], &b = in[1];
  Shape out(std::max(a.size(), b.size()), 1);
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (da != db && da != 1 && db != 1)
      shape_error(n, "cannot broadcast " + shape_str(a) + " with " + shape_str(b));
    out[i] = std::max(da, db);
  }
  return out;
}

Shape matmul_shape(const Node& n, const std::vector<Shape>& in) {
  if (in.size() != 2 || in[0].size() < 2 || in[1].size() < 2)
    shape_error(n, "expects two matrices");
  Shape a = in[0], b = in[1];
  if (a.back() != b[b.size() - 2])
    shape_error(n, "inner dimensions differ: " + shape_str(a) + " @ " + shape_str(b));
  a.back() = b.back();
  return a;
}

Shape placeholder_shape(const Node& n, const std::vector<Shape>&) {
  return n.attrs.contains("shape") ? n.attrs["shape"].get<Shape>() : Shape{};
}

const Json kNone = Json::object();

}  // namespace

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

const std::vector<OpSpec>& op_table() {
  using F = FxOp;
  static const std::vector<OpSpec> table = {
      {"placeholder",
       "placeholder",
       F::kPlaceholder,
       "placeholder",
       {},
       kNone,
       0,
       "graph input",
       nullptr,
       placeholder_shape},
      {"output", "output", F::kOutput, "output", {}, kNone, 1, "graph output", nullptr, same_shape},
      {"linear",
       "module_related_func",
       F::kCallModule,
       "Linear",
       {"in_features", "out_features"},
       Json{{"bias", true}},
       1,
       "y = x W^T + b",
       init_linear,
       linear_shape},
      {"conv1d",
       "module_related_func",
       F::kCallModule,
       "Conv1d",
       {"in_channels", "out_channels", "kernel_size"},
       Json{{"stride", 1}, {"padding", 0}, {"dilation", 1}, {"groups", 1}, {"bias", true}},
       1,
       "1-D convolution",
       init_conv1d,
       conv1d_shape},
      {"conv2d",
       "module_related_func",
       F::kCallModule,
       "Conv2d",
       {"in_channels", "out_channels", "kernel_size"},
       Json{{"stride", 1}, {"padding", 0}, {"dilation", 1}, {"groups", 1}, {"bias", true}},
       1,
       "2-D convolution",
       init_conv2d,
       conv2d_shape},
      {"batch_norm1d",
       "module",
       F::kCallModule,
       "BatchNorm1d",
       {"num_features"},
       Json{{"eps", 1e-5}, {"momentum", 0.1}, {"affine", true}, {"track_running_stats", true}},
       1,
       "batch normalisation over (N, C[, L])",
       init_batch_norm,
       bn_shape},
      {"batch_norm2d",
       "module",
       F::kCallModule,
       "BatchNorm2d",
       {"num_features"},
       Json{{"eps", 1e-5}, {"momentum", 0.1}, {"affine", true}, {"track_running_stats", true}},
       1,
       "batch normalisation over (N, C, H, W)",
       init_batch_norm,
       bn_shape},
      {"layer_norm",
       "module_related_func",
       F::kCallModule,
       "LayerNorm",
       {"normalized_shape"},
       Json{{"eps", 1e-5}, {"elementwise_affine", true}},
       1,
       "layer normalisation",
       init_layer_norm,
       same_shape},
      {"relu",
       "module_related_func",
       F::kCallModule,
       "ReLU",
       {},
       Json{{"inplace", false}},
       1,
       "max(x, 0)",
       nullptr,
       same_shape},
      {"relu6",
       "module_related_func",
       F::kCallModule,
       "ReLU6",
       {},
       Json{{"inplace", false}},
       1,
       "min(max(x, 0), 6)",
       nullptr,
       same_shape},
      {"hardtanh",
       "module_related_func",
       F::kCallModule,
       "Hardtanh",
       {},
       Json{{"min_val", -1.0}, {"max_val", 1.0}},
       1,
       "clamp(x, min_val, max_val)",
       nullptr,
       same_shape},
      {"sigmoid",
       "module_related_func",
       F::kCallModule,
       "Sigmoid",
       {},
       kNone,
       1,
       "logistic",
       nullptr,
       same_shape},
      {"dropout",
       "module_related_func",
       F::kCallModule,
       "Dropout",
       {},
       Json{{"p", 0.5}},
       1,
       "dropout (identity in eval mode)",
       nullptr,
       same_shape},
      {"max_pool2d",
       "module_related_func",
       F::kCallModule,
       "MaxPool2d",
       {"kernel_size"},
       Json{{"stride", nullptr}, {"padding", 0}},
       1,
       "2-D max pooling",
       nullptr,
       shapes::pool2d},
      {"avg_pool2d",
       "module_related_func",
       F::kCallModule,
       "AvgPool2d",
       {"kernel_size"},
       Json{{"stride", nullptr}, {"padding", 0}},
       1,
       "2-D average pooling",
       nullptr,
       shapes::pool2d},
      {"adaptive_avg_pool2d",
       "module_related_func",
       F::kCallModule,
       "AdaptiveAvgPool2d",
       {"output_size"},
       kNone,
       1,
       "2-D adaptive average pooling",
       nullptr,
       adaptive_pool2d_shape},
      {"flatten",
       "implicit_func",
       F::kCallFunction,
       "flatten",
       {},
       Json{{"start_dim", 1}, {"end_dim", -1}},
       1,
       "torch.flatten",
       nullptr,
       flatten_shape},
      {"view",
       "implicit_func",
       F::kCallMethod,
       "view",
       {"shape"},
       kNone,
       1,
       "Tensor.view",
       nullptr,
       view_shape},
      {"add",
       "builtin_func",
       F::kCallFunction,
       "add",
       {},
       kNone,
       2,
       "x + y",
       nullptr,
       broadcast_shape},
      {"sub",
       "builtin_func",
       F::kCallFunction,
       "sub",
       {},
       kNone,
       2,
       "x - y",
       nullptr,
       broadcast_shape},
      {"mul",
       "builtin_func",
       F::kCallFunction,
       "mul",
       {},
       kNone,
       2,
       "x * y",
       nullptr,
       broadcast_shape},
      {"matmul",
       "builtin_func",
       F::kCallFunction,
       "matmul",
       {},
       kNone,
       2,
       "x @ y",
       nullptr,
       matmul_shape},
      {"bmm",
       "builtin_func",
       F::kCallFunction,
       "bmm",
       {},
       kNone,
       2,
       "batched x @ y",
       nullptr,
       matmul_shape},
      // Ops that imported (ONNX) models use besides the zoo's.
      {"leaky_relu",
       "module_related_func",
       F::kCallModule,
       "LeakyReLU",
       {},
       Json{{"negative_slope", 0.01}, {"inplace", false}},
       1,
       "max(x, 0) + negative_slope * min(x, 0)",
       nullptr,
       same_shape},
      {"tanh",
       "module_related_func",
       F::kCallModule,
       "Tanh",
       {},
       kNone,
       1,
       "tanh",
       nullptr,
       same_shape},
      {"softmax",
       "module_related_func",
       F::kCallModule,
       "Softmax",
       {"dim"},
       kNone,
       1,
       "softmax along dim",
       nullptr,
       shapes::along_dim},
      {"identity",
       "module_related_func",
       F::kCallModule,
       "Identity",
       {},
       kNone,
       1,
       "x",
       nullptr,
       same_shape},
      {"max_pool1d",
       "module_related_func",
       F::kCallModule,
       "MaxPool1d",
       {"kernel_size"},
       Json{{"stride", nullptr}, {"padding", 0}},
       1,
       "1-D max pooling",
       nullptr,
       shapes::pool1d},
      {"avg_pool1d",
       "module_related_func",
       F::kCallModule,
       "AvgPool1d",
       {"kernel_size"},
       Json{{"stride", nullptr}, {"padding", 0}},
       1,
       "1-D average pooling",
       nullptr,
       shapes::pool1d},
      {"adaptive_avg_pool1d",
       "module_related_func",
       F::kCallModule,
       "AdaptiveAvgPool1d",
       {"output_size"},
       kNone,
       1,
       "1-D adaptive average pooling",
       nullptr,
       shapes::adaptive_pool1d},
      {"cat",
       "builtin_func",
       F::kCallFunction,
       "cat",
       {"dim"},
       kNone,
       -1,
       "torch.cat along dim",
       nullptr,
       shapes::cat},
      {"constant",
       "get_attr",
       F::kGetAttr,
       "constant",
       {"shape", "value"},
       kNone,
       0,
       "a constant tensor (values in the attribute 'value', row-major)",
       nullptr,
       shapes::constant},
  };
  return table;
}

const OpSpec* find_op(const std::string& mase_op) {
  for (const auto& spec : op_table())
    if (spec.mase_op == mase_op) return &spec;
  return nullptr;
}

const OpSpec& op_spec(const std::string& mase_op) {
  if (const OpSpec* s = find_op(mase_op)) return *s;
  std::vector<std::string> names;
  for (const auto& spec : op_table()) names.push_back(spec.mase_op);
  throw UserError("unknown mase_op '" + mase_op + "'" + did_you_mean(mase_op, names) +
                  "; chop supports: " + list_of(names));
}

uint64_t init_node_params(Node& node, at::Generator& gen) {
  const OpSpec& spec = op_spec(node.mase_op);
  for (auto it = spec.default_attrs.begin(); it != spec.default_attrs.end(); ++it)
    if (!node.attrs.contains(it.key())) node.attrs[it.key()] = it.value();
  check_node_attrs(node);
  for (const auto& key : spec.required_attrs)
    if (!node.attrs.contains(key))
      throw UserError("node " + node.name + " (" + node.mase_op + "): missing attribute '" + key +
                      "'");
  if (!spec.init_params) return 0;
  // Sizes come from flags, TOML keys and files: refuse before allocating, naming the layer.
  auto elements = param_elements(node);
  auto bytes = elements ? checked_mul(*elements, sizeof(float)) : std::nullopt;
  if (auto m = memory_refusal(bytes, "the parameters of node " + node.name + " (" + node.mase_op +
                                         " " + node.attrs.dump() + ")"))
    throw UserError(*m);
  spec.init_params(node, gen);
  return *bytes;
}

}  // namespace chop::graph
