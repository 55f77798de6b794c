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

void init_conv(Node& n, at::Generator& g, size_t dims) {
  int64_t cin = n.attr_int("in_channels"), cout = n.attr_int("out_channels");
  Shape k = shapes::int_list(n, "kernel_size", dims);
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

// PyTorch's ConvTranspose: weight [in, out / groups, k...], fan-in from weight.size(1) x k.
void init_conv_transpose(Node& n, at::Generator& g, size_t dims) {
  int64_t cin = n.attr_int("in_channels"), cout = n.attr_int("out_channels");
  Shape w{cin, cout / conv_groups(n)};
  int64_t fan_in = cout / conv_groups(n);
  for (auto kk : shapes::int_list(n, "kernel_size", dims)) {
    w.push_back(kk);
    fan_in *= kk;
  }
  init_weight_bias(n, w, fan_in, cout, g);
}
void init_conv_transpose1d(Node& n, at::Generator& g) {
  init_conv_transpose(n, g, 1);
}
void init_conv_transpose2d(Node& n, at::Generator& g) {
  init_conv_transpose(n, g, 2);
}

// PyTorch's PReLU: one slope (or one per channel, dimension 1) initialised to 0.25.
void init_prelu(Node& n, at::Generator&) {
  n.params.clear();
  n.params.emplace_back("weight", at::full({n.attr_int("num_parameters")}, 0.25, at::kFloat));
}

void init_layer_norm(Node& n, at::Generator&) {
  Shape s = n.attrs.at("normalized_shape").get<Shape>();
  n.params.clear();
  if (n.attrs.value("elementwise_affine", true)) {
    n.params.emplace_back("weight", at::ones(s));
    n.params.emplace_back("bias", at::zeros(s));
  }
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
       shapes::placeholder},
      {"output",
       "output",
       F::kOutput,
       "output",
       {},
       kNone,
       1,
       "graph output",
       nullptr,
       shapes::same},
      {"linear",
       "module_related_func",
       F::kCallModule,
       "Linear",
       {"in_features", "out_features"},
       Json{{"bias", true}},
       1,
       "y = x W^T + b",
       init_linear,
       shapes::linear},
      {"conv1d",
       "module_related_func",
       F::kCallModule,
       "Conv1d",
       {"in_channels", "out_channels", "kernel_size"},
       Json{{"stride", 1}, {"padding", 0}, {"dilation", 1}, {"groups", 1}, {"bias", true}},
       1,
       "1-D convolution",
       init_conv1d,
       shapes::conv1d},
      {"conv2d",
       "module_related_func",
       F::kCallModule,
       "Conv2d",
       {"in_channels", "out_channels", "kernel_size"},
       Json{{"stride", 1}, {"padding", 0}, {"dilation", 1}, {"groups", 1}, {"bias", true}},
       1,
       "2-D convolution",
       init_conv2d,
       shapes::conv2d},
      {"batch_norm1d",
       "module",
       F::kCallModule,
       "BatchNorm1d",
       {"num_features"},
       Json{{"eps", 1e-5}, {"momentum", 0.1}, {"affine", true}, {"track_running_stats", true}},
       1,
       "batch normalisation over (N, C[, L])",
       init_batch_norm,
       shapes::batch_norm},
      {"batch_norm2d",
       "module",
       F::kCallModule,
       "BatchNorm2d",
       {"num_features"},
       Json{{"eps", 1e-5}, {"momentum", 0.1}, {"affine", true}, {"track_running_stats", true}},
       1,
       "batch normalisation over (N, C, H, W)",
       init_batch_norm,
       shapes::batch_norm},
      {"layer_norm",
       "module_related_func",
       F::kCallModule,
       "LayerNorm",
       {"normalized_shape"},
       Json{{"eps", 1e-5}, {"elementwise_affine", true}},
       1,
       "layer normalisation",
       init_layer_norm,
       shapes::same},
      {"relu",
       "module_related_func",
       F::kCallModule,
       "ReLU",
       {},
       Json{{"inplace", false}},
       1,
       "max(x, 0)",
       nullptr,
       shapes::same},
      {"relu6",
       "module_related_func",
       F::kCallModule,
       "ReLU6",
       {},
       Json{{"inplace", false}},
       1,
       "min(max(x, 0), 6)",
       nullptr,
       shapes::same},
      {"hardtanh",
       "module_related_func",
       F::kCallModule,
       "Hardtanh",
       {},
       Json{{"min_val", -1.0}, {"max_val", 1.0}},
       1,
       "clamp(x, min_val, max_val)",
       nullptr,
       shapes::same},
      {"sigmoid",
       "module_related_func",
       F::kCallModule,
       "Sigmoid",
       {},
       kNone,
       1,
       "logistic",
       nullptr,
       shapes::same},
      {"dropout",
       "module_related_func",
       F::kCallModule,
       "Dropout",
       {},
       Json{{"p", 0.5}},
       1,
       "dropout (identity in eval mode)",
       nullptr,
       shapes::same},
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
       shapes::adaptive_pool2d},
      {"flatten",
       "implicit_func",
       F::kCallFunction,
       "flatten",
       {},
       Json{{"start_dim", 1}, {"end_dim", -1}},
       1,
       "torch.flatten",
       nullptr,
       shapes::flatten},
      {"view",
       "implicit_func",
       F::kCallMethod,
       "view",
       {"shape"},
       kNone,
       1,
       "Tensor.view",
       nullptr,
       shapes::view},
      {"add",
       "builtin_func",
       F::kCallFunction,
       "add",
       {},
       kNone,
       2,
       "x + y",
       nullptr,
       shapes::broadcast},
      {"sub",
       "builtin_func",
       F::kCallFunction,
       "sub",
       {},
       kNone,
       2,
       "x - y",
       nullptr,
       shapes::broadcast},
      {"mul",
       "builtin_func",
       F::kCallFunction,
       "mul",
       {},
       kNone,
       2,
       "x * y",
       nullptr,
       shapes::broadcast},
      {"matmul",
       "builtin_func",
       F::kCallFunction,
       "matmul",
       {},
       kNone,
       2,
       "x @ y",
       nullptr,
       shapes::matmul},
      {"bmm",
       "builtin_func",
       F::kCallFunction,
       "bmm",
       {},
       kNone,
       2,
       "batched x @ y",
       nullptr,
       shapes::matmul},
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
       shapes::same},
      {"tanh",
       "module_related_func",
       F::kCallModule,
       "Tanh",
       {},
       kNone,
       1,
       "tanh",
       nullptr,
       shapes::same},
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
      {"log_softmax",
       "module_related_func",
       F::kCallModule,
       "LogSoftmax",
       {"dim"},
       kNone,
       1,
       "log(softmax) along dim",
       nullptr,
       shapes::along_dim},
      {"elu",
       "module_related_func",
       F::kCallModule,
       "ELU",
       {},
       Json{{"alpha", 1.0}, {"inplace", false}},
       1,
       "x if x > 0 else alpha * (exp(x) - 1)",
       nullptr,
       shapes::same},
      {"selu",
       "module_related_func",
       F::kCallModule,
       "SELU",
       {},
       Json{{"inplace", false}},
       1,
       "scale * elu(x, alpha) with SELU's fixed constants",
       nullptr,
       shapes::same},
      {"hardsigmoid",
       "module_related_func",
       F::kCallModule,
       "Hardsigmoid",
       {},
       Json{{"inplace", false}},
       1,
       "clamp(x / 6 + 1/2, 0, 1)",
       nullptr,
       shapes::same},
      {"hardswish",
       "module_related_func",
       F::kCallModule,
       "Hardswish",
       {},
       Json{{"inplace", false}},
       1,
       "x * hardsigmoid(x)",
       nullptr,
       shapes::same},
      {"conv_transpose1d",
       "module_related_func",
       F::kCallModule,
       "ConvTranspose1d",
       {"in_channels", "out_channels", "kernel_size"},
       Json{{"stride", 1}, {"padding", 0}, {"output_padding", 0}, {"dilation", 1}, {"groups", 1}, {"bias", true}},
       1,
       "1-D transposed convolution",
       init_conv_transpose1d,
       shapes::conv_transpose1d},
      {"conv_transpose2d",
       "module_related_func",
       F::kCallModule,
       "ConvTranspose2d",
       {"in_channels", "out_channels", "kernel_size"},
       Json{{"stride", 1}, {"padding", 0}, {"output_padding", 0}, {"dilation", 1}, {"groups", 1}, {"bias", true}},
       1,
       "2-D transposed convolution",
       init_conv_transpose2d,
       shapes::conv_transpose2d},
      {"upsample",
       "module_related_func",
       F::kCallModule,
       "Upsample",
       {"scale_factor"},
       Json{{"mode", "nearest"}},
       1,
       "nearest-neighbour upsampling of the 1 or 2 dimensions after the channels by integer scale_factor",
       nullptr,
       shapes::upsample},
      {"gelu",
       "module_related_func",
       F::kCallModule,
       "GELU",
       {},
       kNone,
       1,
       "x * Phi(x), the exact (erf) form",
       nullptr,
       shapes::same},
      {"softplus",
       "module_related_func",
       F::kCallModule,
       "Softplus",
       {},
       Json{{"beta", 1.0}, {"threshold", 20.0}},
       1,
       "log(1 + exp(beta * x)) / beta (x where beta * x > threshold)",
       nullptr,
       shapes::same},
      {"prelu",
       "module_related_func",
       F::kCallModule,
       "PReLU",
       {},
       Json{{"num_parameters", 1}},
       1,
       "max(x, 0) + weight * min(x, 0), one slope or one per channel (dimension 1)",
       init_prelu,
       shapes::prelu},
      {"erf",
       "builtin_func",
       F::kCallFunction,
       "erf",
       {},
       kNone,
       1,
       "the error function (GELU's exact form uses it)",
       nullptr,
       shapes::same},
      {"abs",
       "builtin_func",
       F::kCallFunction,
       "abs",
       {},
       kNone,
       1,
       "|x|",
       nullptr,
       shapes::same},
      {"neg",
       "builtin_func",
       F::kCallFunction,
       "neg",
       {},
       kNone,
       1,
       "-x",
       nullptr,
       shapes::same},
      {"exp",
       "builtin_func",
       F::kCallFunction,
       "exp",
       {},
       kNone,
       1,
       "e ** x",
       nullptr,
       shapes::same},
      {"log",
       "builtin_func",
       F::kCallFunction,
       "log",
       {},
       kNone,
       1,
       "natural logarithm",
       nullptr,
       shapes::same},
      {"pow",
       "builtin_func",
       F::kCallFunction,
       "pow",
       {"exponent"},
       kNone,
       1,
       "x ** exponent (a constant number)",
       nullptr,
       shapes::same},
      {"div",
       "builtin_func",
       F::kCallFunction,
       "div",
       {},
       kNone,
       2,
       "x / y",
       nullptr,
       shapes::broadcast},
      {"maximum",
       "builtin_func",
       F::kCallFunction,
       "maximum",
       {},
       kNone,
       2,
       "element-wise max(x, y)",
       nullptr,
       shapes::broadcast},
      {"minimum",
       "builtin_func",
       F::kCallFunction,
       "minimum",
       {},
       kNone,
       2,
       "element-wise min(x, y)",
       nullptr,
       shapes::broadcast},
      {"mean",
       "builtin_func",
       F::kCallFunction,
       "mean",
       {"dim"},
       Json{{"keepdim", false}},
       1,
       "torch.mean over the dimensions dim (not the batch)",
       nullptr,
       shapes::reduce},
      {"sum",
       "builtin_func",
       F::kCallFunction,
       "sum",
       {"dim"},
       Json{{"keepdim", false}},
       1,
       "torch.sum over the dimensions dim (not the batch)",
       nullptr,
       shapes::reduce},
      {"amax",
       "builtin_func",
       F::kCallFunction,
       "amax",
       {"dim"},
       Json{{"keepdim", false}},
       1,
       "torch.amax over the dimensions dim (not the batch)",
       nullptr,
       shapes::reduce},
      {"amin",
       "builtin_func",
       F::kCallFunction,
       "amin",
       {"dim"},
       Json{{"keepdim", false}},
       1,
       "torch.amin over the dimensions dim (not the batch)",
       nullptr,
       shapes::reduce},
      {"identity",
       "module_related_func",
       F::kCallModule,
       "Identity",
       {},
       kNone,
       1,
       "x",
       nullptr,
       shapes::same},
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
