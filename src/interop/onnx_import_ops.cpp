// The ONNX op table: one converter per op type torch.onnx.export (opsets 11-17) and tf2onnx
// emit for MLPs and CNNs, each mapping the op's attributes to a chop node or failing with the
// attribute it cannot express. Parameters keep their initializer names (state-dict names).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/strings.h"
#include "interop/onnx_import_internal.h"

namespace chop::interop::onnx_import {

using graph::Json;

// ONNX stores float attributes in float32: 1e-5 arrives as 9.99999974737875e-06. Keep the
// shortest decimal that is the same float32 (1e-05), as the PyTorch module was written.
double tidy_float(double v) {
  if (!std::isfinite(v)) return v;
  const float f = static_cast<float>(v);
  char buf[64];
  for (int p = 1; p <= 9; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, static_cast<double>(f));
    if (static_cast<float>(std::strtod(buf, nullptr)) == f) return std::strtod(buf, nullptr);
  }
  return f;
}

std::string prefix_of(const std::string& initializer, const std::string& suffix) {
  return ends_with(initializer, suffix) ? initializer.substr(0, initializer.size() - suffix.size())
                                        : "";
}

at::Tensor as_float(const at::Tensor& t) {
  return t.to(at::kFloat).contiguous();
}

void set_out(ConvertContext& ctx, int index) {
  ctx.set_output(0, ctx.output_of(index));
}

void emit_unary(ConvertContext& ctx, const std::string& mase_op, graph::Json attrs) {
  const Value& x = ctx.activation(0, "input");
  set_out(ctx, ctx.emit(mase_op, {&x}, std::move(attrs)));
}

void convert_plain_unary(ConvertContext& ctx) {
  ctx.allow_attrs({});
  emit_unary(ctx, to_lower(ctx.node.op_type()));
}

namespace {

using Kind = Value::Kind;

void convert_leaky_relu(ConvertContext& ctx) {
  ctx.allow_attrs({"alpha"});
  emit_unary(ctx, "leaky_relu",
             Json{{"negative_slope", tidy_float(ctx.attr_float("alpha", 0.01))}});
}

void convert_clip(ConvertContext& ctx) {
  double lo = -FLT_MAX, hi = FLT_MAX;
  if (ctx.opset < 11) {
    ctx.allow_attrs({"min", "max"});
    lo = ctx.attr_float("min", lo);
    hi = ctx.attr_float("max", hi);
  } else {
    ctx.allow_attrs({});
    if (ctx.has_input(1)) lo = ctx.const_scalar(1, "min");
    if (ctx.has_input(2)) hi = ctx.const_scalar(2, "max");
  }
  if (lo > hi) ctx.fail("min " + format_double(lo) + " is above max " + format_double(hi));
  const Value& x = ctx.activation(0, "input");
  int p =
      ctx.emit("hardtanh", {&x}, Json{{"min_val", tidy_float(lo)}, {"max_val", tidy_float(hi)}});
  ctx.pending(p).clip_min = lo;  // exact bounds, for a QDQ pair's range
  ctx.pending(p).clip_max = hi;
  ctx.pending(p).source_value = ctx.node.input(0);
  set_out(ctx, p);
}

void convert_softmax(ConvertContext& ctx) {
  ctx.allow_attrs({"axis"});
  const Value& x = ctx.activation(0, "input");
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = ctx.attr_int("axis", ctx.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank)
    ctx.fail("axis is out of range for a " + std::to_string(rank) + "-D input");
  // Before opset 13 Softmax normalises over all dimensions from `axis` on (flattened).
  if (ctx.opset < 13 && axis != rank - 1)
    ctx.fail(ctx.node.op_type() + " before opset 13 over dimensions " + std::to_string(axis) +
             ".." + std::to_string(rank - 1) +
             " (flattened) is not supported; chop supports the last "
             "axis (re-export with opset_version >= 13)");
  const std::string op = ctx.node.op_type() == "LogSoftmax" ? "log_softmax" : "softmax";
  set_out(ctx, ctx.emit(op, {&x}, Json{{"dim", axis == rank - 1 ? -1 : axis}}));
}

void convert_identity(ConvertContext& ctx) {
  ctx.allow_attrs({});
  ctx.set_output(0, ctx.input(0));  // an alias: no node
}

void convert_dropout(ConvertContext& ctx) {
  ctx.allow_attrs({"ratio", "seed", "is_test"});
  ctx.require_unused_outputs_from(1);
  double p = ctx.opset < 12 ? ctx.attr_float("ratio", 0.5)
                            : (ctx.has_input(1) ? ctx.const_scalar(1, "ratio") : 0.5);
  if (p < 0 || p >= 1) ctx.fail("ratio " + format_double(p) + " is outside [0, 1)");
  emit_unary(ctx, "dropout", Json{{"p", tidy_float(p)}});
}

void convert_flatten(ConvertContext& ctx) {
  ctx.allow_attrs({"axis"});
  const Value& x = ctx.activation(0, "input");
  int64_t axis = ctx.attr_int("axis", 1);
  if (axis < 0) axis += static_cast<int64_t>(x.shape.size());
  if (axis != 1)
    ctx.fail("Flatten with axis " + std::to_string(axis) +
             " is not supported; chop keeps the batch in dimension 0 (axis = 1)");
  set_out(ctx, ctx.emit("flatten", {&x}, Json{{"start_dim", 1}, {"end_dim", -1}}));
}

int64_t product(const graph::Shape& s, size_t from) {
  int64_t p = 1;
  for (size_t i = from; i < s.size(); ++i) p *= s[i];
  return p;
}

// A batch-preserving reshape of an activation to `target` (dim 0 = batch) as a view node.
void emit_view(ConvertContext& ctx, const Value& x, graph::Shape target) {
  target[0] = -1;
  set_out(ctx, ctx.emit("view", {&x}, Json{{"shape", target}}));
}

void convert_reshape(ConvertContext& ctx) {
  ctx.allow_attrs({"allowzero"});
  const Value& x = ctx.activation(0, "data");
  const Value& s = ctx.input(1);
  std::vector<int64_t> want;
  if (s.kind == Kind::kShape) {
    want = s.dims;
  } else {
    want = ctx.const_ints(1, "shape");
  }
  const bool allowzero = ctx.attr_int("allowzero", 0) != 0;
  const int64_t per_sample = product(x.shape, 1);
  // Resolve 0 (copy) and the batch symbol; dimension 0 must end up being the batch.
  graph::Shape target(want.size(), 0);
  int64_t infer_at = -1, known = 1;
  for (size_t d = 0; d < want.size(); ++d) {
    int64_t w = want[d];
    if (w == 0 && !allowzero) {
      if (d >= x.shape.size()) ctx.fail("shape entry 0 copies a dimension the input lacks");
      w = d == 0 ? kBatch : x.shape[d];
    }
    if (w == kBatch) {
      if (d != 0) ctx.fail("moves the batch dimension; chop keeps the batch in dimension 0");
      target[d] = -1;
      continue;
    }
    if (w == -1) {
      if (infer_at >= 0) ctx.fail("shape has two -1 entries");
      infer_at = static_cast<int64_t>(d);
      continue;
    }
    if (w <= 0) ctx.fail("shape entry " + std::to_string(w) + " is not supported");
    target[d] = w;
    if (d > 0 && __builtin_mul_overflow(known, w, &known))
      ctx.fail("shape " + graph::shape_str(want) + " has more values than a tensor can hold");
  }
  if (target.empty()) ctx.fail("reshapes to a scalar; chop keeps the batch in dimension 0");
  const bool batch_first = want[0] == kBatch || (want[0] == 0 && !allowzero);
  if (batch_first) {
    if (infer_at > 0) {
      if (known == 0 || per_sample % known) ctx.fail("cannot reshape the input to the shape");
      target[infer_at] = per_sample / known;
    } else if (known != per_sample) {
      ctx.fail("reshape changes the number of values per sample");
    }
  } else if (infer_at == 0) {
    // [-1, a, b]: the -1 is the batch when a*b is one sample's size.
    if (known != per_sample)
      ctx.fail("reshape to " + graph::shape_str(want) + " mixes samples of the batch (" +
               std::to_string(per_sample) +
               " values per sample); chop keeps the batch in "
               "dimension 0");
  } else {
    // A fixed first entry: only an export with a fixed batch size, where it is that size.
    if (infer_at > 0) {
      if (known == 0 || per_sample % known) ctx.fail("cannot reshape the input to the shape");
      target[infer_at] = per_sample / known;
      known *= target[infer_at];
    }
    if (known != per_sample)
      ctx.fail("reshape to " + graph::shape_str(want) +
               " mixes samples of the batch; chop keeps the "
               "batch in dimension 0 (export with a dynamic batch: dynamic_axes)");
  }
  emit_view(ctx, x, target);
}

void convert_transpose(ConvertContext& ctx) {
  ctx.allow_attrs({"perm"});
  const Value& x = ctx.activation(0, "input");
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> perm = ctx.attr_ints("perm", {});
  if (perm.empty())
    for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
  if (static_cast<int64_t>(perm.size()) != rank) ctx.fail("perm does not match the input rank");
  std::vector<int64_t> sorted_perm = perm;
  std::sort(sorted_perm.begin(), sorted_perm.end());
  for (int64_t d = 0; d < rank; ++d)
    if (sorted_perm[static_cast<size_t>(d)] != d)
      ctx.fail("perm " + graph::shape_str(perm) + " is not a permutation of 0.." +
               std::to_string(rank - 1));
  // A layout-preserving transpose only moves dimensions of size 1: the data order is unchanged.
  bool keeps_order = perm[0] == 0;
  int64_t last = 0;
  graph::Shape out;
  for (int64_t p : perm) {
    out.push_back(x.shape.at(static_cast<size_t>(p)));
    if (p == 0 || x.shape[static_cast<size_t>(p)] == 1) continue;
    keeps_order &= p > last;
    last = p;
  }
  if (!keeps_order)
    ctx.fail("perm " + graph::shape_str(perm) + " on an input of shape " +
             graph::shape_str(x.shape) +
             " changes the memory layout (e.g. NHWC <-> NCHW); chop supports transposes that only "
             "move size-1 dimensions (tf2onnx: convert with --inputs-as-nchw)");
  emit_view(ctx, x, out);
}

void convert_squeeze_unsqueeze(ConvertContext& ctx) {
  ctx.allow_attrs({"axes"});
  const Value& x = ctx.activation(0, "data");
  std::vector<int64_t> axes =
      ctx.opset >= 13 && ctx.has_input(1) ? ctx.const_ints(1, "axes") : ctx.attr_ints("axes", {});
  const bool unsq = ctx.node.op_type() == "Unsqueeze";
  graph::Shape out = x.shape;
  const int64_t rank = static_cast<int64_t>(x.shape.size()) + (unsq ? axes.size() : 0);
  for (auto& a : axes) {
    if (a < -rank || a >= rank) ctx.fail("axis out of range");
    if (a < 0) a += rank;
    if (a == 0) ctx.fail("moves the batch dimension; chop keeps the batch in dimension 0");
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    ctx.fail("axes " + graph::shape_str(axes) + " name a dimension twice");
  if (unsq) {
    for (int64_t a : axes) out.insert(out.begin() + a, 1);
  } else {
    if (axes.empty())
      for (size_t d = 1; d < x.shape.size(); ++d)
        if (x.shape[d] == 1) axes.push_back(static_cast<int64_t>(d));
    for (auto it = axes.rbegin(); it != axes.rend(); ++it) {
      if (x.shape.at(static_cast<size_t>(*it)) != 1) ctx.fail("squeezes a dimension of size > 1");
      out.erase(out.begin() + *it);
    }
  }
  emit_view(ctx, x, out);
}

void convert_elementwise(ConvertContext& ctx) {
  ctx.allow_attrs({});
  const Value& a = ctx.input(0);
  const Value& b = ctx.input(1);
  if (a.kind == Kind::kShape || b.kind == Kind::kShape)
    ctx.fail("arithmetic on a shape computed at run time (a dynamic shape other than the batch)");
  std::string op = to_lower(ctx.node.op_type());
  set_out(ctx, ctx.emit(op, {&a, &b}, Json::object()));
}

void convert_concat(ConvertContext& ctx) {
  ctx.allow_attrs({"axis"});
  std::vector<const Value*> in;
  for (int i = 0; i < ctx.node.input_size(); ++i) in.push_back(&ctx.input(static_cast<size_t>(i)));
  if (in.empty()) ctx.fail("has no inputs");
  const int64_t axis = ctx.attr_int("axis", 0);
  if (axis == 0 || axis == -static_cast<int64_t>(in[0]->shape.size()))
    ctx.fail("concatenates along the batch dimension; chop keeps the batch in dimension 0");
  set_out(ctx, ctx.emit("cat", in, Json{{"dim", axis}}));
}

}  // namespace

const std::vector<OnnxOpRow>& standard_op_table() {
  static const std::vector<OnnxOpRow> table = {
      {"Gemm", "linear (constant B; transB, alpha, beta folded into the weight)", convert_gemm},
      {"MatMul",
       "linear with a constant B (a following Add of a constant is its bias); matmul "
       "of two activations",
       convert_matmul},
      {"Conv", "conv1d / conv2d (pads, strides, dilations, group; symmetric padding)",
       convert_conv},
      {"ConvTranspose",
       "conv_transpose1d / conv_transpose2d (pads, strides, dilations, group, output_padding; "
       "symmetric padding, no output_shape)",
       convert_conv_transpose},
      {"Resize",
       "upsample (nearest, integer factors of the dimensions after the channels; "
       "nn.Upsample's asymmetric + floor or half_pixel)",
       convert_resize},
      {"BatchNormalization",
       "batch_norm1d (2-D/3-D input) / batch_norm2d (4-D), statistics as "
       "buffers",
       convert_batch_norm},
      {"Relu", "relu", convert_plain_unary},
      {"LeakyRelu", "leaky_relu (alpha -> negative_slope)", convert_leaky_relu},
      {"Sigmoid", "sigmoid", convert_plain_unary},
      {"Tanh", "tanh", convert_plain_unary},
      {"Clip", "hardtanh (constant min/max)", convert_clip},
      {"Softmax", "softmax (opset >= 13: any axis; before: the last axis)", convert_softmax},
      {"LogSoftmax", "log_softmax (as Softmax)", convert_softmax},
      {"Elu", "elu (alpha)", convert_elu},
      {"Selu", "selu (ONNX's default alpha and gamma, which are PyTorch's)", convert_selu},
      {"HardSigmoid",
       "hardsigmoid (alpha 1/6, beta 1/2); times its own input (F.hardswish, opset < 14) "
       "hardswish; other alpha/beta: mul, add, hardtanh(0, 1)",
       convert_hard_sigmoid},
      {"HardSwish", "hardswish", convert_plain_unary},
      {"Softplus", "softplus", convert_plain_unary},
      {"PRelu", "prelu (a constant slope: one value or one per channel, dimension 1)",
       convert_prelu},
      {"Erf", "erf (outside the GELU pattern, see Div)", convert_plain_unary},
      {"Abs", "abs", convert_plain_unary},
      {"Neg", "neg", convert_plain_unary},
      {"Exp", "exp", convert_plain_unary},
      {"Log", "log", convert_plain_unary},
      {"Pow", "pow (constant exponent)", convert_pow},
      {"Sqrt", "pow 0.5 (of an activation; constants are folded)", convert_pow},
      {"Reciprocal", "pow -1 (of an activation; constants are folded)", convert_pow},
      {"MaxPool", "max_pool1d / max_pool2d (ceil_mode, dilations)", convert_pool},
      {"AveragePool", "avg_pool1d / avg_pool2d (ceil_mode, count_include_pad)", convert_pool},
      {"GlobalAveragePool", "adaptive_avg_pool1d / adaptive_avg_pool2d to size 1",
       convert_global_avg_pool},
      {"Flatten", "flatten (axis 1)", convert_flatten},
      {"Reshape", "view, when the batch stays in dimension 0 and the other sizes are fixed",
       convert_reshape},
      {"Transpose", "view, when only size-1 dimensions move (layout unchanged)", convert_transpose},
      {"Squeeze", "view (not the batch dimension)", convert_squeeze_unsqueeze},
      {"Unsqueeze", "view (not the batch dimension)", convert_squeeze_unsqueeze},
      {"Add", "add (residual connections; a constant operand becomes a constant node)",
       convert_elementwise},
      {"Sub", "sub", convert_elementwise},
      {"Mul", "mul", convert_elementwise},
      {"Div", "div; x / sqrt(2) -> Erf -> + 1 -> * x -> * 0.5 (nn.GELU): one gelu", convert_div},
      {"Sum", "add (a chain for more than two inputs)", convert_sum},
      {"Max", "maximum (a chain for more than two inputs)", convert_max},
      {"Min", "minimum (a chain for more than two inputs)", convert_min},
      {"ReduceMean",
       "mean over dimensions other than the batch; over all spatial dimensions of a 3-D/4-D "
       "input: adaptive_avg_pool1d/2d to size 1 (+ flatten when keepdims = 0)",
       convert_reduce},
      {"ReduceSum", "sum over dimensions other than the batch (keepdims)", convert_reduce},
      {"ReduceMax", "amax over dimensions other than the batch (keepdims)", convert_reduce},
      {"ReduceMin", "amin over dimensions other than the batch (keepdims)", convert_reduce},
      {"Concat", "cat (not along the batch)", convert_concat},
      {"Identity", "no node (an alias of its input)", convert_identity},
      {"Pad", "zero padding folded into the following Conv / AveragePool", convert_pad},
      {"Dropout", "dropout (ratio; identity in evaluation)", convert_dropout},
      {"QuantizeLinear",
       "with the DequantizeLinear it feeds: an integer quantizer (power-of-two "
       "scale, zero point 0; int8/uint8, narrower when a Clip precedes it)",
       convert_quantize_linear},
      {"DequantizeLinear", "see QuantizeLinear; int8/uint8 constants -> a quantized weight",
       convert_dequantize_linear},
  };
  return table;
}

}  // namespace chop::interop::onnx_import
