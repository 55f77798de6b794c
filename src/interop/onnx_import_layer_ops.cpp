// The ONNX converters of layers with parameters (Gemm, MatMul, Conv, BatchNormalization, pooling,
// Pad, GlobalAveragePool): weights and statistics keep their initializer names. The op table is in
// onnx_import_ops.cpp.
#include <cmath>

#include "core/strings.h"
#include "interop/onnx_import_internal.h"

namespace chop::interop::onnx_import {

using graph::Json;
using Kind = Value::Kind;

at::Tensor bias_from(ConvertContext& ctx, const at::Tensor& raw, int64_t n,
                     const std::string& what) {
  at::Tensor c = as_float(raw);
  if (c.numel() == 1) return c.reshape({1}).expand({n}).contiguous();
  if (c.numel() != n)
    ctx.fail(what + " has " + std::to_string(c.numel()) + " values for " + std::to_string(n) +
             " outputs");
  for (int64_t d = 0; d < c.dim() - 1; ++d)
    if (c.size(d) != 1) ctx.fail(what + " must broadcast along the last dimension");
  return c.reshape({n}).contiguous();
}

at::Tensor bias_vector(ConvertContext& ctx, size_t i, int64_t n, const std::string& what) {
  return bias_from(ctx, ctx.const_input(i, what), n, what);
}

int emit_linear(ConvertContext& ctx, const Value& x, at::Tensor weight, at::Tensor bias,
                const Value& w_value, const Value* b_value, const std::string& w_init) {
  const int64_t in = weight.size(1), out = weight.size(0);
  if (x.shape.empty() || x.shape.back() != in)
    ctx.fail("the input's last dimension " + graph::shape_str(x.shape) +
             " does not match the weight's " + std::to_string(in) + " input features");
  graph::NamedTensors params = {{"weight", weight}};
  if (bias.defined()) params.emplace_back("bias", bias);
  int p =
      ctx.emit("linear", {&x},
               Json{{"in_features", in}, {"out_features", out}, {"bias", bias.defined()}}, params);
  PendingNode& pn = ctx.pending(p);
  pn.param_prefix = prefix_of(w_init, ".weight");
  pn.weight_quant = w_value.quant;
  if (b_value) pn.bias_quant = b_value->quant;
  return p;
}

void convert_gemm(ConvertContext& ctx) {
  ctx.allow_attrs({"alpha", "beta", "transA", "transB"});
  if (ctx.attr_int("transA", 0) != 0)
    ctx.fail("transA = 1 (a transposed input) is not supported; chop imports Gemm as x W^T + b");
  const Value& x = ctx.activation(0, "input A");
  if (x.shape.size() != 2) ctx.fail("input A must be 2-D");
  at::Tensor b = as_float(
      ctx.const_input(1, "weight B (chop imports Gemm with a constant weight as a Linear layer)"));
  if (b.dim() != 2) ctx.fail("weight B must be 2-D");
  at::Tensor w = ctx.attr_int("transB", 0) ? b : b.t().contiguous();
  const double alpha = ctx.attr_float("alpha", 1.0), beta = ctx.attr_float("beta", 1.0);
  if (alpha != 1.0) {
    if (ctx.input(1).quant) ctx.fail("alpha != 1 with a quantized weight is not supported");
    w = (w * alpha).contiguous();
  }
  at::Tensor bias;
  if (ctx.has_input(2)) {
    bias = bias_vector(ctx, 2, w.size(0), "bias C");
    if (beta != 1.0) {
      if (ctx.input(2).quant) ctx.fail("beta != 1 with a quantized bias is not supported");
      bias = (bias * beta).contiguous();
    }
  }
  int p = emit_linear(ctx, x, w, bias, ctx.input(1), ctx.has_input(2) ? &ctx.input(2) : nullptr,
                      ctx.initializer_name(1));
  set_out(ctx, p);
}

void convert_matmul(ConvertContext& ctx) {
  ctx.allow_attrs({});
  if (ctx.is_const(0))
    ctx.fail("a constant first operand is not supported (constant x activation)");
  const Value& x = ctx.activation(0, "input A");
  if (!ctx.is_const(1)) {
    const Value& y = ctx.activation(1, "input B");
    set_out(ctx, ctx.emit("matmul", {&x, &y}, Json::object()));
    return;
  }
  at::Tensor b = as_float(ctx.const_input(1, "weight"));
  if (b.dim() != 2) ctx.fail("a constant operand B must be 2-D (a Linear weight)");
  at::Tensor w = b.t().contiguous();
  // MatMul + Add(constant) is a Linear with bias (torch on >2-D inputs, tf2onnx's Dense).
  at::Tensor bias;
  const Value* b_value = nullptr;
  auto users = ctx.consumers(0);
  if (users.size() == 1 && !ctx.is_graph_output(0) && users[0]->op_type() == "Add" &&
      users[0]->domain().empty() && users[0]->input_size() == 2) {
    const onnx::NodeProto& add = *users[0];
    const int other = add.input(0) == ctx.node.output(0) ? 1 : 0;
    const Value* c = ctx.find_value(add.input(other));
    if (c && c->kind == Kind::kConstant && c->constant.numel() == w.size(0) &&
        c->constant.dim() >= 1) {
      bias = bias_from(ctx, c->constant, w.size(0), "the bias added by " + add.name());
      b_value = c;
      int p = emit_linear(ctx, x, w, bias, ctx.input(1), b_value, ctx.initializer_name(1));
      ctx.absorb(add, ctx.output_of(p));
      set_out(ctx, p);
      return;
    }
  }
  set_out(ctx,
          emit_linear(ctx, x, w, at::Tensor(), ctx.input(1), nullptr, ctx.initializer_name(1)));
}

// Symmetric pads [b0, b1, ..., e0, e1, ...] -> per-dimension padding.
std::vector<int64_t> symmetric_pads(ConvertContext& ctx, size_t dims) {
  std::vector<int64_t> pads = ctx.attr_ints("pads", std::vector<int64_t>(2 * dims, 0));
  if (pads.size() != 2 * dims) ctx.fail("pads must have " + std::to_string(2 * dims) + " values");
  std::vector<int64_t> out;
  for (size_t d = 0; d < dims; ++d) {
    if (pads[d] != pads[d + dims])
      ctx.fail("asymmetric padding " + graph::shape_str(pads) +
               " is not supported; chop supports equal padding on both sides");
    out.push_back(pads[d]);
  }
  return out;
}

void check_auto_pad(ConvertContext& ctx) {
  const std::string ap = ctx.attr_str("auto_pad", "NOTSET");
  if (ap != "NOTSET" && ap != "VALID")
    ctx.fail("auto_pad = " + ap +
             " is not supported; chop supports explicit pads (NOTSET) and "
             "VALID");
}

// What Conv and ConvTranspose read alike: the input, a constant weight [., ., k...] of a 1-D or
// 2-D kernel matching the input's rank and kernel_shape, and symmetric pads (auto_pad VALID: 0),
// plus a preceding Pad node's zero padding where the op folds it (`folds_pad`).
struct ConvOperands {
  const Value* x = nullptr;
  at::Tensor w;
  size_t nd = 0;
  graph::Shape kernel;
  std::vector<int64_t> pads;
  int64_t groups = 1;
};

// `what` names the op in messages ("convolution"), `module` its PyTorch classes' stem ("Conv").
ConvOperands conv_operands(ConvertContext& ctx, const std::string& what, const std::string& module,
                           bool folds_pad) {
  check_auto_pad(ctx);
  ConvOperands op;
  op.x = &ctx.activation(0, "input X");
  const Value& x = *op.x;
  op.w = as_float(ctx.const_input(1, "weight W"));
  const int64_t dims = op.w.dim() - 2;
  if (dims != 1 && dims != 2)
    ctx.fail(std::to_string(dims) + "-D " + what + " is not supported; chop supports " + module +
             "1d and " + module + "2d");
  if (static_cast<int64_t>(x.shape.size()) != dims + 2)
    ctx.fail("input rank does not match the weight's " + std::to_string(dims) + "-D kernel");
  if (!folds_pad && !x.pad.empty())
    ctx.fail("reads the output of a Pad node, which chop does not fold here");
  op.kernel = graph::Shape(op.w.sizes().begin() + 2, op.w.sizes().end());
  if (ctx.has_attr("kernel_shape") && ctx.attr_ints("kernel_shape", {}) != op.kernel)
    ctx.fail("kernel_shape does not match the weight");
  op.nd = static_cast<size_t>(dims);
  op.pads = ctx.attr_str("auto_pad", "NOTSET") == "VALID" ? std::vector<int64_t>(op.nd, 0)
                                                          : symmetric_pads(ctx, op.nd);
  if (!x.pad.empty())
    for (size_t d = 0; d < op.nd; ++d) op.pads[d] += x.pad.at(d);
  op.groups = ctx.attr_int("group", 1);
  return op;
}

// A convolution's parameters (the weight, the bias of input 2 when there is one) and its
// module attributes in PyTorch's order (ConvTranspose's output_padding after padding).
struct ConvModule {
  graph::NamedTensors params;
  Json attrs;
};

ConvModule conv_module(ConvertContext& ctx, const ConvOperands& op, int64_t in_ch, int64_t out_ch,
                       bool transposed) {
  at::Tensor bias;
  if (ctx.has_input(2)) bias = bias_vector(ctx, 2, out_ch, "bias B");
  ConvModule m;
  m.params = {{"weight", op.w}};
  if (bias.defined()) m.params.emplace_back("bias", bias);
  m.attrs = Json{{"in_channels", in_ch},
                 {"out_channels", out_ch},
                 {"kernel_size", op.kernel},
                 {"stride", ctx.attr_ints("strides", std::vector<int64_t>(op.nd, 1))},
                 {"padding", op.pads}};
  if (transposed)
    m.attrs["output_padding"] = ctx.attr_ints("output_padding", std::vector<int64_t>(op.nd, 0));
  m.attrs["dilation"] = ctx.attr_ints("dilations", std::vector<int64_t>(op.nd, 1));
  m.attrs["groups"] = op.groups;
  m.attrs["bias"] = bias.defined();
  return m;
}

void convert_conv(ConvertContext& ctx) {
  ctx.allow_attrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  const ConvOperands op = conv_operands(ctx, "convolution", "Conv", /*folds_pad=*/true);
  const Value& x = *op.x;
  const int64_t in_ch = op.w.size(1) * op.groups, out_ch = op.w.size(0);
  ConvModule m = conv_module(ctx, op, in_ch, out_ch, /*transposed=*/false);
  int p = ctx.emit(op.nd == 1 ? "conv1d" : "conv2d", {&x}, m.attrs, m.params);
  PendingNode& pn = ctx.pending(p);
  pn.param_prefix = prefix_of(ctx.initializer_name(1), ".weight");
  pn.weight_quant = ctx.input(1).quant;
  if (ctx.has_input(2)) pn.bias_quant = ctx.input(2).quant;
  set_out(ctx, p);
}

void convert_batch_norm(ConvertContext& ctx) {
  ctx.allow_attrs({"epsilon", "momentum", "training_mode", "spatial"});
  if (ctx.attr_int("spatial", 1) != 1) ctx.fail("spatial = 0 is not supported");
  ctx.require_unused_outputs_from(1);
  const Value& x = ctx.activation(0, "input X");
  const size_t rank = x.shape.size();
  if (rank < 2 || rank > 4) ctx.fail("a " + std::to_string(rank) + "-D input is not supported");
  const int64_t c = x.shape[1];
  auto vec = [&](size_t i, const char* what) {
    at::Tensor t = as_float(ctx.const_input(i, what));
    if (t.numel() != c)
      ctx.fail(std::string(what) + " has " + std::to_string(t.numel()) + " values for " +
               std::to_string(c) + " channels");
    if (ctx.input(i).quant)
      ctx.fail("a QONNX-quantized BatchNormalization parameter is not supported");
    return t.reshape({c}).contiguous();
  };
  graph::NamedTensors params = {{"weight", vec(1, "scale")}, {"bias", vec(2, "B")}};
  graph::NamedTensors buffers = {{"running_mean", vec(3, "mean")},
                                 {"running_var", vec(4, "var")},
                                 {"num_batches_tracked", at::zeros({}, at::kLong)}};
  // ONNX's momentum weighs the running statistic; PyTorch's weighs the new batch.
  const double momentum = tidy_float(1.0 - tidy_float(ctx.attr_float("momentum", 0.9)));
  Json attrs{{"num_features", c},
             {"eps", tidy_float(ctx.attr_float("epsilon", 1e-5))},
             {"momentum", momentum},
             {"affine", true},
             {"track_running_stats", true}};
  int p = ctx.emit(rank == 4 ? "batch_norm2d" : "batch_norm1d", {&x}, attrs, params, buffers);
  ctx.pending(p).param_prefix = prefix_of(ctx.initializer_name(1), ".weight");
  set_out(ctx, p);
}

void convert_pool(ConvertContext& ctx) {
  const bool max = ctx.node.op_type() == "MaxPool";
  if (max)
    ctx.allow_attrs(
        {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
  else
    ctx.allow_attrs({"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
                     "strides", "dilations"});
  check_auto_pad(ctx);
  ctx.require_unused_outputs_from(1);
  if (ctx.attr_int("storage_order", 0) != 0) ctx.fail("storage_order = 1 is not supported");
  const Value& x = ctx.activation(0, "input X");
  const size_t dims = x.shape.size() - 2;
  if (dims != 1 && dims != 2)
    ctx.fail("pooling over " + std::to_string(dims) + " dimensions is not supported (1-D, 2-D)");
  std::vector<int64_t> kernel = ctx.attr_ints("kernel_shape", {});
  if (kernel.size() != dims) ctx.fail("kernel_shape must have " + std::to_string(dims) + " values");
  Json attrs{
      {"kernel_size", kernel},
      {"stride", ctx.attr_ints("strides", std::vector<int64_t>(dims, 1))},
      {"padding", ctx.attr_str("auto_pad", "NOTSET") == "VALID" ? std::vector<int64_t>(dims, 0)
                                                                : symmetric_pads(ctx, dims)}};
  bool count_include_pad = ctx.attr_int("count_include_pad", 0) != 0;
  if (!x.pad.empty()) {
    // torch.onnx writes AvgPool's padding as Pad + AveragePool: padded zeros are averaged.
    std::vector<int64_t> pads = attrs["padding"].get<std::vector<int64_t>>();
    bool own = false;
    for (size_t d = 0; d < dims; ++d) {
      own |= pads[d] != 0;
      pads[d] += x.pad.at(d);
    }
    if (own && !count_include_pad)
      ctx.fail("padding both in a Pad node and in the pool without count_include_pad");
    attrs["padding"] = pads;
    count_include_pad = true;
  }
  const std::vector<int64_t> dil = ctx.attr_ints("dilations", std::vector<int64_t>(dims, 1));
  if (dil != std::vector<int64_t>(dims, 1)) {
    if (!max) ctx.fail("dilations are not supported for average pooling");
    attrs["dilation"] = dil;
  }
  if (ctx.attr_int("ceil_mode", 0)) attrs["ceil_mode"] = true;
  if (!max) attrs["count_include_pad"] = count_include_pad;
  const std::string op = std::string(max ? "max_pool" : "avg_pool") + (dims == 1 ? "1d" : "2d");
  set_out(ctx, ctx.emit(op, {&x}, attrs));
}

// Zero padding of the spatial dimensions is carried to the Conv/AveragePool that reads it.
void convert_pad(ConvertContext& ctx) {
  ctx.allow_attrs({"mode", "pads", "value"});
  if (ctx.attr_str("mode", "constant") != "constant")
    ctx.fail("mode = " + ctx.attr_str("mode", "") +
             " is not supported; chop folds constant zero "
             "padding into a following Conv or AveragePool");
  const Value& x = ctx.activation(0, "data");
  std::vector<int64_t> pads =
      ctx.opset >= 11 ? ctx.const_ints(1, "pads") : ctx.attr_ints("pads", {});
  double value = ctx.opset >= 11 ? (ctx.has_input(2) ? ctx.const_scalar(2, "constant_value") : 0.0)
                                 : ctx.attr_float("value", 0.0);
  if (ctx.has_input(3)) ctx.fail("the axes input is not supported");
  const size_t rank = x.shape.size();
  if (pads.size() != 2 * rank) ctx.fail("pads must have " + std::to_string(2 * rank) + " values");
  bool any = false;
  for (int64_t p : pads) any |= p != 0;
  if (!any) {
    ctx.set_output(0, x);
    return;
  }
  if (value != 0.0) ctx.fail("padding with " + format_double(value) + " is not supported (zeros)");
  Value out = x;
  out.pad.clear();
  for (size_t d = 0; d < rank; ++d) {
    if (pads[d] != pads[d + rank])
      ctx.fail("asymmetric padding " + graph::shape_str(pads) + " is not supported");
    if (d < 2 && pads[d] != 0) ctx.fail("pads the batch or channel dimension");
    if (d >= 2) out.pad.push_back(pads[d] + (x.pad.empty() ? 0 : x.pad[d - 2]));
  }
  ctx.set_output(0, out);
}

void convert_global_avg_pool(ConvertContext& ctx) {
  ctx.allow_attrs({});
  const Value& x = ctx.activation(0, "input X");
  if (x.shape.size() == 3)
    set_out(ctx, ctx.emit("adaptive_avg_pool1d", {&x}, Json{{"output_size", {1}}}));
  else if (x.shape.size() == 4)
    set_out(ctx, ctx.emit("adaptive_avg_pool2d", {&x}, Json{{"output_size", {1, 1}}}));
  else
    ctx.fail("a " + std::to_string(x.shape.size()) + "-D input is not supported (3-D, 4-D)");
}

// ConvTranspose as PyTorch's ConvTranspose1d/2d: weight [in, out / group, k...], symmetric pads,
// output_padding; an explicit output_shape is refused (PyTorch has no such attribute).
void convert_conv_transpose(ConvertContext& ctx) {
  ctx.allow_attrs(
      {"auto_pad", "dilations", "group", "kernel_shape", "output_padding", "pads", "strides"});
  const ConvOperands op =
      conv_operands(ctx, "transposed convolution", "ConvTranspose", /*folds_pad=*/false);
  const Value& x = *op.x;
  const int64_t in_ch = op.w.size(0), out_ch = op.w.size(1) * op.groups;
  if (x.shape[1] != in_ch)
    ctx.fail("the input has " + std::to_string(x.shape[1]) + " channels, the weight " +
             std::to_string(in_ch));
  ConvModule m = conv_module(ctx, op, in_ch, out_ch, /*transposed=*/true);
  if (m.attrs["output_padding"].size() != op.nd)
    ctx.fail("output_padding must have " + std::to_string(op.nd) + " values");
  if (ctx.input(1).quant || (ctx.has_input(2) && ctx.input(2).quant))
    ctx.fail("a QONNX-quantized ConvTranspose weight or bias is not supported");
  int p = ctx.emit(op.nd == 1 ? "conv_transpose1d" : "conv_transpose2d", {&x}, m.attrs, m.params);
  ctx.pending(p).param_prefix = prefix_of(ctx.initializer_name(1), ".weight");
  set_out(ctx, p);
}

// Resize / Upsample by integer factors of the dimensions after the channels, nearest neighbour:
// nn.Upsample(scale_factor=k) (asymmetric + floor) and the half-pixel modes, which pick the same
// input pixels for integer factors.
void convert_resize(ConvertContext& ctx) {
  ctx.allow_attrs({"antialias", "coordinate_transformation_mode", "cubic_coeff_a",
                   "exclude_outside", "extrapolation_value", "keep_aspect_ratio_policy", "mode",
                   "nearest_mode", "axes"});
  const Value& x = ctx.activation(0, "input X");
  const std::string mode = ctx.attr_str("mode", "nearest");
  if (mode != "nearest")
    ctx.fail("attribute mode = " + mode +
             " is not supported; chop upsamples with nearest (nn.Upsample's default mode)");
  const std::string coord = ctx.attr_str("coordinate_transformation_mode", "half_pixel");
  const std::string rounding = ctx.attr_str("nearest_mode", "round_prefer_floor");
  const bool half = coord == "half_pixel" || coord == "pytorch_half_pixel";
  const bool ok = (coord == "asymmetric" && rounding == "floor") ||
                  (half && (rounding == "round_prefer_floor" || rounding == "round_prefer_ceil"));
  if (!ok)
    ctx.fail("attribute coordinate_transformation_mode = " + coord +
             " with nearest_mode = " + rounding +
             " is not supported; chop supports asymmetric + floor (nn.Upsample) and half_pixel "
             "with rounding to the nearest");
  if (ctx.has_attr("axes")) ctx.fail("attribute axes is not supported");
  const size_t rank = x.shape.size();
  if (rank != 3 && rank != 4)
    ctx.fail("a " + std::to_string(rank) + "-D input is not supported (3-D, 4-D)");
  std::vector<int64_t> factors;
  const bool has_sizes = ctx.has_input(3);
  const size_t scales_at = ctx.opset >= 11 ? 2 : 1;
  if (has_sizes) {
    const Value& s = ctx.input(3);
    std::vector<int64_t> sizes =
        s.kind == Value::Kind::kShape ? s.dims : ctx.const_ints(3, "sizes");
    if (sizes.size() != rank) ctx.fail("sizes must have " + std::to_string(rank) + " values");
    for (size_t d = 0; d < rank; ++d) {
      if (d == 0) continue;  // the batch (or its symbol)
      if (sizes[d] <= 0 || sizes[d] % x.shape[d])
        ctx.fail("sizes " + graph::shape_str(sizes) + " are not integer multiples of the input " +
                 graph::shape_str(x.shape));
      if (d == 1 && sizes[d] != x.shape[d]) ctx.fail("resizes the channel dimension");
      if (d >= 2) factors.push_back(sizes[d] / x.shape[d]);
    }
  } else {
    at::Tensor sc = as_float(ctx.const_input(scales_at, "scales")).reshape({-1});
    if (sc.numel() != static_cast<int64_t>(rank))
      ctx.fail("scales must have " + std::to_string(rank) + " values");
    for (size_t d = 0; d < rank; ++d) {
      const double f = sc[static_cast<int64_t>(d)].item<double>();
      if (f != std::round(f) || f < 1)
        ctx.fail("scale " + format_double(f) +
                 " is not supported; chop upsamples by positive integer factors");
      if (d < 2 && f != 1) ctx.fail("resizes the batch or channel dimension");
      if (d >= 2) factors.push_back(static_cast<int64_t>(f));
    }
  }
  if (factors == std::vector<int64_t>(factors.size(), 1)) {
    ctx.set_output(0, x);
    return;
  }
  set_out(ctx, ctx.emit("upsample", {&x}, Json{{"scale_factor", factors}, {"mode", "nearest"}}));
}

}  // namespace chop::interop::onnx_import
