// PyTorch's default initialisation of the parametric ops (nn.Linear, nn.Conv*, nn.BatchNorm*,
// nn.ConvTranspose*, nn.PReLU, nn.LayerNorm), used by the op table rows; see op_init.h.
#include "graph/op_init.h"

#include <cmath>

#include "graph/attrs.h"
#include "graph/op_shapes.h"

namespace chop::graph::op_init {
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
}  // namespace

void init_linear(Node& n, at::Generator& g) {
  int64_t in = n.attr_int("in_features"), out = n.attr_int("out_features");
  init_weight_bias(n, {out, in}, in, out, g);
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

}  // namespace chop::graph::op_init
