// Import-time evaluation of ONNX nodes whose inputs are all known: constants (Constant,
// Identity, Cast, Transpose of weights, arithmetic on initializers) and the shape arithmetic
// exporters emit around Reshape (Shape -> Gather -> Unsqueeze -> Concat), where the batch
// size stays symbolic. Anything else that computes a shape at run time is refused.
#include <ATen/ExpandUtils.h>

#include <algorithm>
#include <climits>
#include <map>

#include "core/error.h"
#include "core/limits.h"
#include "interop/onnx_import_internal.h"

namespace chop::interop::onnx_import {
namespace {

using Kind = Value::Kind;

bool is_known(const Value& v) {
  return v.kind == Kind::kConstant || v.kind == Kind::kShape;
}

Value constant(at::Tensor t) {
  Value v;
  v.kind = Kind::kConstant;
  v.constant = std::move(t);
  return v;
}

// A shape vector without the batch symbol is an ordinary int64 constant.
Value shape_value(std::vector<int64_t> dims, bool scalar) {
  bool symbolic = std::count(dims.begin(), dims.end(), kBatch) > 0;
  if (!symbolic) {
    at::Tensor t = at::tensor(dims, at::kLong);
    return constant(scalar ? t.reshape({}) : t);
  }
  Value v;
  v.kind = Kind::kShape;
  v.dims = std::move(dims);
  v.constant = scalar ? at::zeros({}, at::kLong) : at::zeros({1}, at::kLong);  // rank marker
  return v;
}

bool is_scalar_shape(const Value& v) {
  return v.kind == Kind::kShape && v.constant.dim() == 0;
}

std::vector<int64_t> as_dims(const Value& v) {
  if (v.kind == Kind::kShape) return v.dims;
  at::Tensor c = v.constant.to(at::kLong).reshape({-1}).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

at::ScalarType onnx_dtype(ConvertContext& ctx, int64_t t) {
  switch (t) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::FLOAT16:
      return at::kFloat;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
      return at::kLong;
    case onnx::TensorProto::BOOL:
      return at::kBool;
    default:
      ctx.fail("cast to ONNX data type " + std::to_string(t) + " is not supported");
  }
}

Value fold_constant_node(ConvertContext& ctx) {
  const auto& n = ctx.node;
  ctx.allow_attrs({"value", "value_float", "value_floats", "value_int", "value_ints"});
  if (const auto* a = onnx_io::find_attr(n, "value")) {
    Value v = constant(onnx_io::to_tensor(a->t(), "Constant '" + n.name() + "'"));
    v.onnx_dtype = a->t().data_type();
    return v;
  }
  if (const auto* a = onnx_io::find_attr(n, "value_float"))
    return constant(at::tensor(static_cast<double>(a->f()), at::kFloat).reshape({}));
  if (const auto* a = onnx_io::find_attr(n, "value_floats"))
    return constant(at::tensor(std::vector<float>(a->floats().begin(), a->floats().end())));
  if (const auto* a = onnx_io::find_attr(n, "value_int"))
    return constant(at::tensor(a->i(), at::kLong).reshape({}));
  if (const auto* a = onnx_io::find_attr(n, "value_ints"))
    return constant(at::tensor(std::vector<int64_t>(a->ints().begin(), a->ints().end())));
  ctx.fail("Constant without a supported value attribute (sparse and string constants are not)");
}

std::vector<int64_t> axes_of(ConvertContext& ctx, size_t input) {
  if (ctx.has_input(input)) return ctx.const_ints(input, "axes");
  return ctx.attr_ints("axes", {});
}

int64_t norm_axis(ConvertContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) ctx.fail("axis " + std::to_string(axis) + " is out of range");
  return axis < 0 ? axis + rank : axis;
}

// Ops on shape vectors (the batch stays symbolic).
Value fold_shape_op(ConvertContext& ctx) {
  const std::string& op = ctx.node.op_type();
  const Value& x = ctx.input(0);
  if (op == "Identity" || op == "Cast") return x;
  if (op == "Gather") {
    ctx.allow_attrs({"axis"});
    std::vector<int64_t> dims = as_dims(x);
    at::Tensor idx = ctx.const_input(1, "indices").to(at::kLong);
    std::vector<int64_t> out;
    at::Tensor flat = idx.reshape({-1}).contiguous();
    for (int64_t k = 0; k < flat.numel(); ++k) {
      int64_t i = flat.data_ptr<int64_t>()[k];
      if (i < 0) i += static_cast<int64_t>(dims.size());
      if (i < 0 || i >= static_cast<int64_t>(dims.size())) ctx.fail("Gather index out of range");
      out.push_back(dims[static_cast<size_t>(i)]);
    }
    return shape_value(out, idx.dim() == 0);
  }
  if (op == "Unsqueeze") {
    if (!is_scalar_shape(x)) ctx.fail("Unsqueeze of a shape vector is not supported");
    return shape_value(x.dims, false);
  }
  if (op == "Squeeze") {
    if (x.dims.size() != 1) ctx.fail("Squeeze of a shape vector with several entries");
    return shape_value(x.dims, true);
  }
  if (op == "Concat") {
    std::vector<int64_t> out;
    for (int i = 0; i < ctx.node.input_size(); ++i) {
      auto d = as_dims(ctx.input(static_cast<size_t>(i)));
      out.insert(out.end(), d.begin(), d.end());
    }
    return shape_value(out, false);
  }
  if (op == "Slice") {
    std::vector<int64_t> dims = as_dims(x);
    const int64_t len = static_cast<int64_t>(dims.size());
    auto one = [&](size_t i, const char* what, int64_t def) {
      if (!ctx.has_input(i)) return def;
      auto v = ctx.const_ints(i, what);
      if (v.size() != 1) ctx.fail("Slice of a shape vector along more than one axis");
      return v[0];
    };
    auto one_attr = [&](const char* what, int64_t def) {
      auto v = ctx.attr_ints(what, {def});
      if (v.size() != 1) ctx.fail("Slice of a shape vector along more than one axis");
      return v[0];
    };
    int64_t start = ctx.opset >= 10 ? one(1, "starts", 0) : one_attr("starts", 0);
    int64_t end = ctx.opset >= 10 ? one(2, "ends", len) : one_attr("ends", len);
    int64_t step = ctx.opset >= 10 ? one(4, "steps", 1) : 1;
    if (step != 1) ctx.fail("Slice of a shape vector with a step is not supported");
    if (start < 0) start += len;
    if (end < 0) end += len;
    start = std::clamp<int64_t>(start, 0, len);
    end = std::clamp<int64_t>(end, 0, len);
    return shape_value(
        std::vector<int64_t>(dims.begin() + start, dims.begin() + std::max(start, end)), false);
  }
  ctx.fail("computes a shape at run time from the batch size (" + op +
           " on a shape); chop supports a dynamic batch only when shapes are otherwise fixed");
}

// Folding evaluates the node on its constants: refuse, before allocating, a result bigger than
// any weight a model chop imports holds (a few chained Concat, Gather or broadcasting nodes
// could otherwise ask for gigabytes from a file of kilobytes).
constexpr uint64_t kMaxFoldedValues = uint64_t{1} << 24;

void check_folded_size(ConvertContext& ctx, const std::vector<int64_t>& shape) {
  // Zero dimensions left out: [0, 2^40] holds nothing but LibTorch's strides for it overflow.
  std::vector<int64_t> nonzero;
  for (int64_t d : shape)
    if (d != 0) nonzero.push_back(d);
  const std::optional<uint64_t> n = element_count(nonzero);
  if (!n || *n > kMaxFoldedValues)
    ctx.fail("folding it would make a constant of shape " + graph::shape_str(shape) +
             " (more than 16,777,216 values); chop folds only constants of weight size");
}

Value fold_tensor_op(ConvertContext& ctx) {
  const std::string& op = ctx.node.op_type();
  auto in = [&](size_t i) { return ctx.const_input(i, "input " + std::to_string(i)); };
  if (op == "Identity") return ctx.input(0);
  if (op == "QuantizeLinear" || op == "DequantizeLinear") {
    if (op == "QuantizeLinear")
      convert_quantize_linear(ctx);
    else
      convert_dequantize_linear(ctx);
    return *ctx.find_value(ctx.node.output(0));
  }
  if (op == "Cast") {
    Value v = ctx.input(0);
    v.constant = v.constant.to(onnx_dtype(ctx, ctx.attr_int("to", onnx::TensorProto::FLOAT)));
    return v;
  }
  if (op == "Transpose") {
    at::Tensor t = in(0);
    std::vector<int64_t> perm = ctx.attr_ints("perm", {});
    if (perm.empty())
      for (int64_t d = t.dim() - 1; d >= 0; --d) perm.push_back(d);
    Value v = ctx.input(0);
    v.constant = t.permute(perm).contiguous();
    return v;
  }
  if (op == "Reshape") {
    at::Tensor t = in(0);
    std::vector<int64_t> shape =
        ctx.opset >= 5 ? ctx.const_ints(1, "shape") : ctx.attr_ints("shape", {});
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] == 0 && ctx.attr_int("allowzero", 0) == 0)
        shape[d] = t.size(static_cast<int64_t>(d));
    Value v = ctx.input(0);
    v.constant = t.reshape(shape).contiguous();
    return v;
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    at::Tensor t = in(0);
    std::vector<int64_t> axes = axes_of(ctx, 1);
    if (op == "Unsqueeze") {
      const int64_t rank = t.dim() + static_cast<int64_t>(axes.size());
      for (auto& a : axes) a = norm_axis(ctx, a, rank);
      std::sort(axes.begin(), axes.end());
      for (int64_t a : axes) t = t.unsqueeze(a);
    } else if (axes.empty()) {
      t = t.squeeze();
    } else {
      for (auto& a : axes) a = norm_axis(ctx, a, t.dim());
      std::sort(axes.rbegin(), axes.rend());
      for (int64_t a : axes) t = t.squeeze(a);
    }
    Value v = ctx.input(0);
    v.constant = t.contiguous();
    return v;
  }
  if (op == "Concat") {
    std::vector<at::Tensor> parts;
    uint64_t total = 0;
    for (int i = 0; i < ctx.node.input_size(); ++i) {
      parts.push_back(in(static_cast<size_t>(i)));
      total += static_cast<uint64_t>(parts.back().numel());
    }
    check_folded_size(ctx, {static_cast<int64_t>(std::min<uint64_t>(total, INT64_MAX))});
    return constant(at::cat(parts, ctx.attr_int("axis", 0)));
  }
  if (op == "Gather") {
    at::Tensor t = in(0), idx = in(1).to(at::kLong);
    const int64_t axis = norm_axis(ctx, ctx.attr_int("axis", 0), t.dim());
    idx = at::where(idx < 0, idx + t.size(axis), idx);
    std::vector<int64_t> shape(t.sizes().begin(), t.sizes().begin() + axis);
    for (int64_t s : idx.sizes()) shape.push_back(s);
    shape.insert(shape.end(), t.sizes().begin() + axis + 1, t.sizes().end());
    check_folded_size(ctx, shape);
    at::Tensor out = t.index_select(axis, idx.reshape({-1}));
    return constant(out.reshape(shape).contiguous());
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    if (ctx.input(0).quant || ctx.input(1).quant)
      ctx.fail("arithmetic on a QONNX-quantized constant is not supported");
    at::Tensor a = in(0), b = in(1);
    check_folded_size(ctx, at::infer_size(a.sizes(), b.sizes()));
    at::Tensor r = op == "Add"                                        ? a + b
                   : op == "Sub"                                      ? a - b
                   : op == "Mul"                                      ? a * b
                   : (a.is_floating_point() || b.is_floating_point()) ? a / b
                                                                      : at::div(a, b, "floor");
    return constant(r.contiguous());
  }
  if (op == "Neg") return constant(-in(0));
  if (op == "Clip") {
    double lo = -3.4028234663852886e38, hi = 3.4028234663852886e38;
    if (ctx.opset < 11) {
      lo = ctx.attr_float("min", lo);
      hi = ctx.attr_float("max", hi);
    } else {
      if (ctx.has_input(1)) lo = ctx.const_scalar(1, "min");
      if (ctx.has_input(2)) hi = ctx.const_scalar(2, "max");
    }
    if (ctx.input(0).quant) ctx.fail("Clip of a QONNX-quantized constant is not supported");
    Value v = constant(at::clamp(in(0).to(at::kFloat), lo, hi).contiguous());
    v.clip = std::make_pair(lo, hi);
    return v;
  }
  if (op == "Sqrt") return constant(at::sqrt(in(0).to(at::kFloat)));
  if (op == "Abs") return constant(at::abs(in(0)));
  if (op == "Exp") return constant(at::exp(in(0).to(at::kFloat)));
  if (op == "Log") return constant(at::log(in(0).to(at::kFloat)));
  if (op == "Reciprocal") return constant(at::reciprocal(in(0).to(at::kFloat)));
  if (op == "Pow") return constant(at::pow(in(0).to(at::kFloat), in(1).to(at::kFloat)));
  if (op == "ConstantOfShape") {
    std::vector<int64_t> shape = ctx.const_ints(0, "shape");
    at::Tensor value = at::zeros({}, at::kFloat);
    if (const auto* a = onnx_io::find_attr(ctx.node, "value"))
      value = onnx_io::to_tensor(a->t(), "ConstantOfShape value").reshape({});
    for (int64_t d : shape)
      if (d < 0) ctx.fail("ConstantOfShape with a negative size " + std::to_string(d));
    check_folded_size(ctx, shape);
    return constant(at::full(shape, value.item(), value.options()));
  }
  ctx.fail("unreachable");
}

}  // namespace

bool fold_constant(ConvertContext& ctx) {
  static const std::set<std::string> foldable = {"Constant",
                                                 "Identity",
                                                 "Cast",
                                                 "Transpose",
                                                 "Reshape",
                                                 "Unsqueeze",
                                                 "Squeeze",
                                                 "Concat",
                                                 "Gather",
                                                 "Slice",
                                                 "Add",
                                                 "Sub",
                                                 "Mul",
                                                 "Div",
                                                 "Neg",
                                                 "Sqrt",
                                                 "Reciprocal",
                                                 "Abs",
                                                 "Exp",
                                                 "Log",
                                                 "Pow",
                                                 "Shape",
                                                 "ConstantOfShape",
                                                 "Clip",
                                                 "QuantizeLinear",
                                                 "DequantizeLinear"};
  const auto& n = ctx.node;
  if (!(n.domain().empty() || n.domain() == "ai.onnx") || !foldable.count(n.op_type()))
    return false;
  if (n.op_type() == "Constant") {
    ctx.set_output(0, fold_constant_node(ctx));
    return true;
  }
  if (n.op_type() == "Shape") {
    const Value& x = ctx.input(0);
    if (x.kind == Kind::kShape) return false;
    ctx.allow_attrs({"start", "end"});
    std::vector<int64_t> dims;
    if (x.kind == Kind::kConstant) {
      dims = x.constant.sizes().vec();
    } else {
      dims = x.shape;
      if (!dims.empty() && dims[0] == -1) dims[0] = kBatch;
    }
    const int64_t rank = static_cast<int64_t>(dims.size());
    int64_t start = ctx.attr_int("start", 0), end = ctx.attr_int("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, start, rank);
    ctx.set_output(
        0, shape_value(std::vector<int64_t>(dims.begin() + start, dims.begin() + end), false));
    return true;
  }
  bool any_shape = false;
  for (int i = 0; i < n.input_size(); ++i) {
    if (n.input(i).empty()) continue;
    const Value& v = ctx.input(static_cast<size_t>(i));
    if (!is_known(v)) {
      // An activation reshaped by a computed shape is Reshape's business, not folding's.
      return false;
    }
    any_shape |= v.kind == Kind::kShape;
  }
  if (n.op_type() == "Slice" && !any_shape) {
    ctx.fail("Slice of a constant is not supported");
  }
  ctx.set_output(0, any_shape ? fold_shape_op(ctx) : fold_tensor_op(ctx));
  return true;
}

}  // namespace chop::interop::onnx_import
