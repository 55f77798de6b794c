// Kernels for every op in graph/ops.cpp. Quantized nodes quantize x/weight/bias (and relu's
// input, unsigned) before the float op, as MASE's quantized modules do.
#include "runtime/kernels.h"

#include <cmath>
#include <map>
#include <vector>

#include "core/error.h"
#include "graph/op_shapes.h"
#include "graph/ops.h"
#include "runtime/batch_norm_cpu.h"
#include "runtime/conv_cpu.h"
#include "runtime/linear_cpu.h"
#include "runtime/pool_cpu.h"

namespace chop::runtime {
namespace {

using graph::Node;
using Tensors = std::vector<at::Tensor>;

at::Tensor q_in(const Node& n, const at::Tensor& x) {
  return n.quant && n.quant->data_in ? n.quant->data_in(x) : x;
}
at::Tensor q_w(const Node& n, const at::Tensor& w) {
  return n.quant && n.quant->weight ? n.quant->weight(w) : w;
}
at::Tensor q_b(const Node& n, const at::Tensor& b) {
  return n.quant && n.quant->bias && b.defined() ? n.quant->bias(b) : b;
}
at::Tensor q_out(const Node& n, const at::Tensor& y) {
  return n.quant && n.quant->data_out ? n.quant->data_out(y) : y;
}
at::Tensor param_or_undef(const Node& n, const char* name) {
  const at::Tensor* t = n.param(name);
  return t ? *t : at::Tensor();
}
std::vector<int64_t> ints(const Node& n, const char* key, size_t dims) {
  const auto& v = n.attrs.at(key);
  if (v.is_number_integer()) return std::vector<int64_t>(dims, v.get<int64_t>());
  return v.get<std::vector<int64_t>>();
}

at::Tensor k_identity(Node&, const Tensors& in, bool) {
  return in[0];
}

// Debian's LibTorch runs at::linear on the reference BLAS; linear_cpu (own AVX2 kernels) is
// 2-15x faster for float32 CPU layers of every size in MASE's models (bench/, docs/benchmarks.md).
at::Tensor linear_op(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1) && x.device().is_cpu() &&
      w.device().is_cpu() && x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat &&
      (!b.defined() || (b.dim() == 1 && b.size(0) == w.size(0) && b.scalar_type() == at::kFloat &&
                        b.device().is_cpu())) &&
      linear_cpu_available()) {
    return linear_cpu(x, w, b);
  }
  return at::linear(x, w, b);
}

at::Tensor k_linear(Node& n, const Tensors& in, bool) {
  return q_out(
      n, linear_op(q_in(n, in[0]), q_w(n, *n.param("weight")), q_b(n, param_or_undef(n, "bias"))));
}

// chop's own convolution (the fused engine's arithmetic) for float32 CPU tensors, groups 1.
at::Tensor conv_op(Node& n, const Tensors& in, size_t dims) {
  const at::Tensor x = q_in(n, in[0]), w = q_w(n, *n.param("weight"));
  const at::Tensor b = q_b(n, param_or_undef(n, "bias"));
  const int64_t groups = n.attrs.value("groups", int64_t{1});
  ConvCpuArgs a{ints(n, "stride", dims), ints(n, "padding", dims), ints(n, "dilation", dims)};
  if (groups == 1 && conv_cpu_supported(x, w, b, a)) return q_out(n, conv_cpu(x, w, b, a));
  if (dims == 1) return q_out(n, at::conv1d(x, w, b, a.stride, a.padding, a.dilation, groups));
  return q_out(n, at::conv2d(x, w, b, a.stride, a.padding, a.dilation, groups));
}

at::Tensor k_conv1d(Node& n, const Tensors& in, bool) {
  return conv_op(n, in, 1);
}

at::Tensor k_conv2d(Node& n, const Tensors& in, bool) {
  return conv_op(n, in, 2);
}

bool is_cpu_float(const at::Tensor& t) {
  return !t.defined() || (t.device().is_cpu() && t.scalar_type() == at::kFloat);
}

at::Tensor k_batch_norm(Node& n, const Tensors& in, bool training) {
  at::Tensor* rm = n.buffer("running_mean");
  at::Tensor* rv = n.buffer("running_var");
  const at::Tensor w = param_or_undef(n, "weight"), b = param_or_undef(n, "bias");
  const bool use_batch_stats = training || !rm;
  const auto momentum_attr = n.attrs.find("momentum");
  const bool cumulative = momentum_attr != n.attrs.end() && momentum_attr->is_null();
  const double momentum = cumulative ? 0.0 : n.attrs.value("momentum", 0.1);
  int64_t batches = 0;
  if (training && rm) {
    if (at::Tensor* nbt = n.buffer("num_batches_tracked")) {
      nbt->add_(1);
      batches = nbt->item<int64_t>();
    }
  }
  // PyTorch: momentum=None is a cumulative average (factor 1 / num_batches_tracked).
  const double factor =
      cumulative ? (batches > 0 ? 1.0 / static_cast<double>(batches) : 0.0) : momentum;
  const double eps = n.attrs.value("eps", 1e-5);
  if (use_batch_stats && in[0].dim() >= 2 && in[0].size(1) > 0 &&
      in[0].numel() / in[0].size(1) <= 1)
    throw UserError("node " + n.name + " (" + n.mase_op +
                    "): expected more than 1 value per channel when training, got input size " +
                    graph::shape_str(in[0].sizes().vec()) +
                    "; use a batch size that leaves no single-row last batch");
  // chop's own kernel (the fused engine's arithmetic) for float32 CPU tensors.
  BatchNormCpuArgs a;
  a.training = use_batch_stats;
  a.running_mean = training || !use_batch_stats ? rm : nullptr;
  a.running_var = training || !use_batch_stats ? rv : nullptr;
  a.eps = eps;
  a.factor = factor;
  if (batch_norm_cpu_supported(in[0], w, b, a)) return batch_norm_cpu(in[0], w, b, a);
  return at::batch_norm(in[0], w, b, rm ? *rm : at::Tensor(), rv ? *rv : at::Tensor(),
                        use_batch_stats, cumulative ? factor : momentum, eps,
                        /*cudnn_enabled=*/true);
}

at::Tensor k_layer_norm(Node& n, const Tensors& in, bool) {
  return at::layer_norm(in[0], n.attrs.at("normalized_shape").get<std::vector<int64_t>>(),
                        param_or_undef(n, "weight"), param_or_undef(n, "bias"),
                        n.attrs.value("eps", 1e-5));
}

// ReLU's input is quantized with the unsigned quantizer (MASE); the hook already is unsigned.
at::Tensor k_relu(Node& n, const Tensors& in, bool) {
  const at::Tensor x = q_in(n, in[0]);
  // One pass instead of an ATen dispatch: on a search's small tensors the dispatch dominates.
  if (is_cpu_float(x) && x.defined() && x.is_contiguous() &&
      (!at::GradMode::is_enabled() || !x.requires_grad())) {
    at::Tensor y = at::empty_like(x);
    const float* __restrict xp = x.data_ptr<float>();
    float* __restrict yp = y.data_ptr<float>();
    const int64_t count = x.numel();
    for (int64_t i = 0; i < count; ++i) yp[i] = xp[i] < 0.0f ? 0.0f : xp[i];  // NaN, -0 kept
    return q_out(n, y);
  }
  return q_out(n, at::relu(x));
}
at::Tensor k_relu6(Node& n, const Tensors& in, bool) {
  return at::hardtanh(in[0], 0.0, 6.0);
}
at::Tensor k_hardtanh(Node& n, const Tensors& in, bool) {
  return at::hardtanh(in[0], n.attrs.value("min_val", -1.0), n.attrs.value("max_val", 1.0));
}
at::Tensor k_sigmoid(Node&, const Tensors& in, bool) {
  return at::sigmoid(in[0]);
}
at::Tensor k_dropout(Node& n, const Tensors& in, bool training) {
  return at::dropout(in[0], n.attrs.value("p", 0.5), training);
}

std::vector<int64_t> pool_stride(const Node& n, size_t dims) {
  if (n.attrs.contains("stride") && !n.attrs["stride"].is_null()) return ints(n, "stride", dims);
  return ints(n, "kernel_size", dims);
}
std::vector<int64_t> pool_dilation(const Node& n, size_t dims) {
  return n.attrs.contains("dilation") ? ints(n, "dilation", dims) : std::vector<int64_t>(dims, 1);
}
// chop's own pooling (the fused engine's arithmetic) for float32 CPU tensors.
at::Tensor pool_op(Node& n, const Tensors& in, kernels::PoolKind kind) {
  kernels::PoolGeometry g;
  g.kind = kind;
  if (kind == kernels::PoolKind::kAdaptiveAvg) {
    const auto o = ints(n, "output_size", 2);
    g.oh = o[0], g.ow = o[1];
  } else {
    const auto k = ints(n, "kernel_size", 2), st = pool_stride(n, 2), p = ints(n, "padding", 2);
    g.kh = k[0], g.kw = k[1], g.sh = st[0], g.sw = st[1], g.ph = p[0], g.pw = p[1];
  }
  if (pool_cpu_supported(in[0], g)) return pool_cpu(in[0], g);
  if (kind == kernels::PoolKind::kMax)
    return at::max_pool2d(in[0], ints(n, "kernel_size", 2), pool_stride(n, 2), ints(n, "padding", 2));
  if (kind == kernels::PoolKind::kAvg)
    return at::avg_pool2d(in[0], ints(n, "kernel_size", 2), pool_stride(n, 2), ints(n, "padding", 2));
  return at::adaptive_avg_pool2d(in[0], ints(n, "output_size", 2));
}
at::Tensor k_max_pool2d(Node& n, const Tensors& in, bool) {
  const std::vector<int64_t> dilation = pool_dilation(n, 2);
  if (!n.attrs.value("ceil_mode", false) && dilation == std::vector<int64_t>{1, 1})
    return pool_op(n, in, kernels::PoolKind::kMax);
  return at::max_pool2d(in[0], ints(n, "kernel_size", 2), pool_stride(n, 2), ints(n, "padding", 2),
                        dilation, n.attrs.value("ceil_mode", false));
}
at::Tensor k_avg_pool2d(Node& n, const Tensors& in, bool) {
  // chop's kernel divides by the full window (count_include_pad) and does not ceil.
  if (!n.attrs.value("ceil_mode", false) && n.attrs.value("count_include_pad", true))
    return pool_op(n, in, kernels::PoolKind::kAvg);
  return at::avg_pool2d(in[0], ints(n, "kernel_size", 2), pool_stride(n, 2), ints(n, "padding", 2),
                        n.attrs.value("ceil_mode", false),
                        n.attrs.value("count_include_pad", true));
}
at::Tensor k_max_pool1d(Node& n, const Tensors& in, bool) {
  return at::max_pool1d(in[0], ints(n, "kernel_size", 1), pool_stride(n, 1), ints(n, "padding", 1),
                        pool_dilation(n, 1), n.attrs.value("ceil_mode", false));
}
at::Tensor k_avg_pool1d(Node& n, const Tensors& in, bool) {
  return at::avg_pool1d(in[0], ints(n, "kernel_size", 1), pool_stride(n, 1), ints(n, "padding", 1),
                        n.attrs.value("ceil_mode", false),
                        n.attrs.value("count_include_pad", true));
}
at::Tensor k_adaptive_avg_pool2d(Node& n, const Tensors& in, bool) {
  return pool_op(n, in, kernels::PoolKind::kAdaptiveAvg);
}
at::Tensor k_adaptive_avg_pool1d(Node& n, const Tensors& in, bool) {
  return at::adaptive_avg_pool1d(in[0], ints(n, "output_size", 1));
}
at::Tensor k_leaky_relu(Node& n, const Tensors& in, bool) {
  return at::leaky_relu(in[0], n.attrs.value("negative_slope", 0.01));
}
at::Tensor k_tanh(Node&, const Tensors& in, bool) {
  return at::tanh(in[0]);
}
at::Tensor k_softmax(Node& n, const Tensors& in, bool) {
  return at::softmax(in[0], n.attrs.value("dim", int64_t{-1}));
}
at::Tensor k_log_softmax(Node& n, const Tensors& in, bool) {
  return at::log_softmax(in[0], n.attrs.value("dim", int64_t{-1}));
}
at::Tensor k_elu(Node& n, const Tensors& in, bool) {
  return at::elu(in[0], n.attrs.value("alpha", 1.0));
}
at::Tensor k_selu(Node&, const Tensors& in, bool) {
  return at::selu(in[0]);
}
at::Tensor k_hardsigmoid(Node&, const Tensors& in, bool) {
  return at::hardsigmoid(in[0]);
}
at::Tensor k_hardswish(Node&, const Tensors& in, bool) {
  return at::hardswish(in[0]);
}
// Transposed convolution; the weight is [in, out / groups, k...] as PyTorch's.
at::Tensor k_conv_transpose(Node& n, const Tensors& in, size_t dims) {
  const at::Tensor w = *n.param("weight"), b = param_or_undef(n, "bias");
  const int64_t groups = n.attrs.value("groups", int64_t{1});
  const auto st = ints(n, "stride", dims), p = ints(n, "padding", dims),
             op = ints(n, "output_padding", dims), d = ints(n, "dilation", dims);
  if (dims == 1) return at::conv_transpose1d(in[0], w, b, st, p, op, groups, d);
  return at::conv_transpose2d(in[0], w, b, st, p, op, groups, d);
}
at::Tensor k_conv_transpose1d(Node& n, const Tensors& in, bool) {
  return k_conv_transpose(n, in, 1);
}
at::Tensor k_conv_transpose2d(Node& n, const Tensors& in, bool) {
  return k_conv_transpose(n, in, 2);
}
// Nearest upsampling by integer factors: output index o reads input index o / factor.
at::Tensor k_upsample(Node& n, const Tensors& in, bool) {
  const size_t dims = static_cast<size_t>(in[0].dim()) - 2;
  const auto f = ints(n, "scale_factor", dims);
  std::vector<int64_t> size;
  for (size_t i = 0; i < dims; ++i) size.push_back(in[0].size(static_cast<int64_t>(i) + 2) * f[i]);
  if (dims == 1) return at::upsample_nearest1d(in[0], size);
  return at::upsample_nearest2d(in[0], size);
}
at::Tensor k_gelu(Node&, const Tensors& in, bool) {
  return at::gelu(in[0]);
}
at::Tensor k_softplus(Node& n, const Tensors& in, bool) {
  return at::softplus(in[0], n.attrs.value("beta", 1.0), n.attrs.value("threshold", 20.0));
}
// PReLU's slope broadcasts along dimension 1 (one per channel) as PyTorch's.
at::Tensor k_prelu(Node& n, const Tensors& in, bool) {
  return at::prelu(in[0], *n.param("weight"));
}
at::Tensor k_erf(Node&, const Tensors& in, bool) {
  return at::erf(in[0]);
}
at::Tensor k_abs(Node&, const Tensors& in, bool) {
  return at::abs(in[0]);
}
at::Tensor k_neg(Node&, const Tensors& in, bool) {
  return at::neg(in[0]);
}
at::Tensor k_exp(Node&, const Tensors& in, bool) {
  return at::exp(in[0]);
}
at::Tensor k_log(Node&, const Tensors& in, bool) {
  return at::log(in[0]);
}
at::Tensor k_pow(Node& n, const Tensors& in, bool) {
  return at::pow(in[0], n.attrs.at("exponent").get<double>());
}
at::Tensor k_div(Node&, const Tensors& in, bool) {
  return in[0] / in[1];
}
at::Tensor k_maximum(Node&, const Tensors& in, bool) {
  return at::maximum(in[0], in[1]);
}
at::Tensor k_minimum(Node&, const Tensors& in, bool) {
  return at::minimum(in[0], in[1]);
}
std::vector<int64_t> reduce_dims(const Node& n, const at::Tensor& x) {
  return graph::shapes::reduced_dims(n, static_cast<size_t>(x.dim()));
}
at::Tensor k_mean(Node& n, const Tensors& in, bool) {
  return at::mean(in[0], reduce_dims(n, in[0]), n.attrs.value("keepdim", false));
}
at::Tensor k_sum(Node& n, const Tensors& in, bool) {
  return at::sum(in[0], reduce_dims(n, in[0]), n.attrs.value("keepdim", false));
}
at::Tensor k_amax(Node& n, const Tensors& in, bool) {
  return at::amax(in[0], reduce_dims(n, in[0]), n.attrs.value("keepdim", false));
}
at::Tensor k_amin(Node& n, const Tensors& in, bool) {
  return at::amin(in[0], reduce_dims(n, in[0]), n.attrs.value("keepdim", false));
}
at::Tensor k_cat(Node& n, const Tensors& in, bool) {
  return at::cat(in, n.attrs.value("dim", int64_t{0}));
}
// Constants hold their values in attributes (scalars and short vectors of imported models), so
// they are not state-dict tensors; the executor moves the result to the input's device.
at::Tensor k_constant(Node& n, const Tensors&, bool) {
  const std::vector<int64_t> shape = n.attrs.at("shape").get<std::vector<int64_t>>();
  std::vector<float> values;
  const auto& v = n.attrs.at("value");
  if (v.is_number()) {
    values.push_back(v.get<float>());
  } else {
    for (const auto& e : v) values.push_back(e.get<float>());
  }
  return at::tensor(values, at::kFloat).reshape(shape);
}
at::Tensor k_flatten(Node& n, const Tensors& in, bool) {
  return at::flatten(in[0], n.attrs.value("start_dim", int64_t{1}),
                     n.attrs.value("end_dim", int64_t{-1}));
}
at::Tensor k_view(Node& n, const Tensors& in, bool) {
  return in[0].reshape(n.attrs.at("shape").get<std::vector<int64_t>>());
}
at::Tensor k_add(Node& n, const Tensors& in, bool) {
  return q_in(n, in[0]) + q_in(n, in[1]);
}
at::Tensor k_sub(Node& n, const Tensors& in, bool) {
  return q_in(n, in[0]) - q_in(n, in[1]);
}
at::Tensor k_mul(Node& n, const Tensors& in, bool) {
  return q_in(n, in[0]) * q_in(n, in[1]);
}
at::Tensor k_matmul(Node& n, const Tensors& in, bool) {
  return at::matmul(q_in(n, in[0]), q_w(n, in[1]));
}
at::Tensor k_bmm(Node& n, const Tensors& in, bool) {
  return at::bmm(q_in(n, in[0]), q_w(n, in[1]));
}

const std::map<std::string, Kernel>& kernel_table() {
  static const std::map<std::string, Kernel> table = {
      {"output", k_identity},
      {"linear", k_linear},
      {"conv1d", k_conv1d},
      {"conv2d", k_conv2d},
      {"batch_norm1d", k_batch_norm},
      {"batch_norm2d", k_batch_norm},
      {"layer_norm", k_layer_norm},
      {"relu", k_relu},
      {"relu6", k_relu6},
      {"hardtanh", k_hardtanh},
      {"sigmoid", k_sigmoid},
      {"dropout", k_dropout},
      {"max_pool2d", k_max_pool2d},
      {"avg_pool2d", k_avg_pool2d},
      {"adaptive_avg_pool2d", k_adaptive_avg_pool2d},
      {"max_pool1d", k_max_pool1d},
      {"avg_pool1d", k_avg_pool1d},
      {"adaptive_avg_pool1d", k_adaptive_avg_pool1d},
      {"leaky_relu", k_leaky_relu},
      {"tanh", k_tanh},
      {"softmax", k_softmax},
      {"identity", k_identity},
      {"log_softmax", k_log_softmax},
      {"elu", k_elu},
      {"selu", k_selu},
      {"hardsigmoid", k_hardsigmoid},
      {"hardswish", k_hardswish},
      {"softplus", k_softplus},
      {"gelu", k_gelu},
      {"conv_transpose1d", k_conv_transpose1d},
      {"conv_transpose2d", k_conv_transpose2d},
      {"upsample", k_upsample},
      {"prelu", k_prelu},
      {"erf", k_erf},
      {"abs", k_abs},
      {"neg", k_neg},
      {"exp", k_exp},
      {"log", k_log},
      {"pow", k_pow},
      {"div", k_div},
      {"maximum", k_maximum},
      {"minimum", k_minimum},
      {"mean", k_mean},
      {"sum", k_sum},
      {"amax", k_amax},
      {"amin", k_amin},
      {"cat", k_cat},
      {"constant", k_constant},
      {"flatten", k_flatten},
      {"view", k_view},
      {"add", k_add},
      {"sub", k_sub},
      {"mul", k_mul},
      {"matmul", k_matmul},
      {"bmm", k_bmm},
  };
  return table;
}

}  // namespace

Kernel find_kernel(const std::string& mase_op) {
  const auto& t = kernel_table();
  auto it = t.find(mase_op);
  return it == t.end() ? nullptr : it->second;
}

}  // namespace chop::runtime
