// The ONNX converters of the activations, arithmetic and reductions ordinary PyTorch networks
// add to an MLP/CNN (F.elu, F.hardswish, F.gelu's Erf form, PReLU, x / 2, x.mean(dim=(2, 3)),
// torch.maximum, ...). Each maps onto one chop op, a few of them, or an existing op (a
// ReduceMean over all spatial dimensions is global average pooling). The op table is in
// onnx_import_ops.cpp.
#include <algorithm>
#include <cmath>
#include <optional>

#include "core/strings.h"
#include "interop/onnx_import_internal.h"

namespace chop::interop::onnx_import {

using graph::Json;
using Kind = Value::Kind;

namespace {

Value scalar_constant(double v) {
  Value c;
  c.kind = Kind::kConstant;
  c.constant = at::full({}, v, at::kFloat);
  return c;
}

bool same_float32(double a, double b) {
  return static_cast<float>(a) == static_cast<float>(b);
}

// Activations' inputs first, in their order, then the constants: a chain of binary nodes then
// always reads an activation (the batch) in its first step.
std::vector<const Value*> activations_first(ConvertContext& ctx) {
  std::vector<const Value*> in;
  for (int i = 0; i < ctx.node.input_size(); ++i)
    if (ctx.has_input(static_cast<size_t>(i))) in.push_back(&ctx.input(static_cast<size_t>(i)));
  if (in.empty()) ctx.fail("has no inputs");
  std::stable_partition(in.begin(), in.end(),
                        [](const Value* v) { return v->kind == Kind::kActivation; });
  for (const Value* v : in)
    if (v->kind == Kind::kShape)
      ctx.fail("arithmetic on a shape computed at run time (a dynamic shape other than the batch)");
  if (in[0]->kind != Kind::kActivation) ctx.fail("every input is a constant");
  return in;
}

// Variadic Sum / Max / Min: a left-to-right chain of binary `mase_op` nodes.
void variadic(ConvertContext& ctx, const std::string& mase_op) {
  ctx.allow_attrs({});
  std::vector<const Value*> in = activations_first(ctx);
  if (in.size() == 1) {
    ctx.set_output(0, *in[0]);  // an alias: no node
    return;
  }
  Value acc = *in[0];
  for (size_t i = 1; i < in.size(); ++i)
    acc = ctx.output_of(ctx.emit(mase_op, {&acc, in[i]}, Json::object()));
  ctx.set_output(0, acc);
}

// The single scalar value of constant `name`, also when the Constant node writing it comes later
// in the file than the node asking (torch.onnx places them just before their reader).
std::optional<double> scalar_of(ConvertContext& ctx, const std::string& name) {
  if (const Value* v = ctx.find_value(name)) {
    if (v->kind != Kind::kConstant || v->constant.numel() != 1 || v->quant) return std::nullopt;
    return v->constant.to(at::kDouble).item<double>();
  }
  const onnx::NodeProto* c = ctx.producer_of(name);
  if (!c || c->op_type() != "Constant" || !c->domain().empty()) return std::nullopt;
  const auto* a = onnx_io::find_attr(*c, "value");
  if (!a || a->type() != onnx::AttributeProto::TENSOR) return std::nullopt;
  const at::Tensor t = onnx_io::to_tensor(a->t(), "Constant '" + c->name() + "'");
  if (t.numel() != 1) return std::nullopt;
  return t.to(at::kDouble).item<double>();
}

// The one node reading `value` when it is a standard `op_type` node and nothing else reads it.
const onnx::NodeProto* only_reader(ConvertContext& ctx, const std::string& value,
                                   const char* op_type) {
  if (ctx.is_graph_value(value)) return nullptr;
  const auto users = ctx.consumers_of(value);
  if (users.size() != 1 || users[0]->op_type() != op_type || !users[0]->domain().empty() ||
      users[0]->input_size() != (std::string(op_type) == "Erf" ? 1 : 2))
    return nullptr;
  return users[0];
}

// The operand of binary `node` that is not `value` ("" when both are).
std::string other_operand(const onnx::NodeProto& node, const std::string& value) {
  if (node.input(0) == value) return node.input(1) == value ? "" : node.input(1);
  return node.input(1) == value ? node.input(0) : "";
}

bool near(std::optional<double> v, double want) {
  return v && std::abs(*v - want) <= 1e-6 * std::abs(want);
}

// nn.GELU as torch.onnx (opsets 9-17) writes it: x / sqrt(2) -> Erf -> + 1 -> * x -> * 0.5
// (the last two in either order). One gelu node, LibTorch's own GELU kernel.
bool fuse_gelu(ConvertContext& ctx) {
  const auto& div = ctx.node;
  if (div.input_size() != 2 || ctx.input(0).kind != Kind::kActivation ||
      !near(scalar_of(ctx, div.input(1)), std::sqrt(2.0)))
    return false;
  const std::string& x = div.input(0);
  const onnx::NodeProto* erf = only_reader(ctx, div.output(0), "Erf");
  const onnx::NodeProto* add = erf ? only_reader(ctx, erf->output(0), "Add") : nullptr;
  if (!add || !near(scalar_of(ctx, other_operand(*add, erf->output(0))), 1.0)) return false;
  const onnx::NodeProto* m1 = only_reader(ctx, add->output(0), "Mul");
  const onnx::NodeProto* m2 = m1 ? only_reader(ctx, m1->output(0), "Mul") : nullptr;
  if (!m2) return false;
  const std::string first = other_operand(*m1, add->output(0)),
                    second = other_operand(*m2, m1->output(0));
  const bool x_first = first == x && near(scalar_of(ctx, second), 0.5);
  const bool half_first = second == x && near(scalar_of(ctx, first), 0.5);
  if (!x_first && !half_first) return false;
  const Value& in = ctx.input(0);
  const Value out = ctx.output_of(ctx.emit("gelu", {&in}, Json::object()));
  for (const onnx::NodeProto* n : {erf, add, m1, m2}) ctx.absorb(*n, out);
  ctx.set_output(0, out);
  return true;
}

}  // namespace

void convert_div(ConvertContext& ctx) {
  ctx.allow_attrs({});
  if (fuse_gelu(ctx)) return;
  const Value& a = ctx.input(0);
  const Value& b = ctx.input(1);
  if (a.kind == Kind::kShape || b.kind == Kind::kShape)
    ctx.fail("arithmetic on a shape computed at run time (a dynamic shape other than the batch)");
  set_out(ctx, ctx.emit("div", {&a, &b}, Json::object()));
}

void convert_elu(ConvertContext& ctx) {
  ctx.allow_attrs({"alpha"});
  emit_unary(ctx, "elu", Json{{"alpha", tidy_float(ctx.attr_float("alpha", 1.0))}});
}

// PyTorch's SELU has fixed constants; ONNX's defaults are the same numbers.
void convert_selu(ConvertContext& ctx) {
  ctx.allow_attrs({"alpha", "gamma"});
  const double alpha = 1.67326319217681884765625, gamma = 1.05070102214813232421875;
  for (const auto& [name, want] :
       {std::pair<const char*, double>{"alpha", alpha}, {"gamma", gamma}})
    if (!same_float32(ctx.attr_float(name, want), want))
      ctx.fail("attribute " + std::string(name) + " = " +
               format_double(ctx.attr_float(name, want)) +
               " is not supported; chop's selu is PyTorch's SELU (alpha " + format_double(alpha) +
               ", gamma " + format_double(gamma) + ", ONNX's defaults)");
  emit_unary(ctx, "selu");
}

// HardSigmoid(alpha 1/6, beta 1/2) is PyTorch's Hardsigmoid, and times its own input (what
// torch.onnx writes for F.hardswish before opset 14) Hardswish. Other slopes (Keras' 0.2) are
// the ONNX formula: clamp(alpha * x + beta, 0, 1).
void convert_hard_sigmoid(ConvertContext& ctx) {
  ctx.allow_attrs({"alpha", "beta"});
  const Value& x = ctx.activation(0, "input");
  const double alpha = ctx.attr_float("alpha", 0.2), beta = ctx.attr_float("beta", 0.5);
  if (same_float32(alpha, 1.0 / 6.0) && same_float32(beta, 0.5)) {
    const auto users = ctx.consumers(0);
    if (users.size() == 1 && !ctx.is_graph_output(0) && users[0]->op_type() == "Mul" &&
        users[0]->domain().empty() && users[0]->input_size() == 2) {
      const onnx::NodeProto& mul = *users[0];
      const std::string& self = ctx.node.output(0);
      const std::string& other = mul.input(0) == self ? mul.input(1) : mul.input(0);
      if (other == ctx.node.input(0) && mul.input(0) != mul.input(1)) {
        const int p = ctx.emit("hardswish", {&x}, Json::object());
        ctx.absorb(mul, ctx.output_of(p));
        set_out(ctx, p);
        return;
      }
    }
    set_out(ctx, ctx.emit("hardsigmoid", {&x}, Json::object()));
    return;
  }
  const Value a = scalar_constant(alpha), b = scalar_constant(beta);
  const Value scaled = ctx.output_of(ctx.emit("mul", {&x, &a}, Json::object()));
  const Value shifted = ctx.output_of(ctx.emit("add", {&scaled, &b}, Json::object()));
  set_out(ctx, ctx.emit("hardtanh", {&shifted}, Json{{"min_val", 0.0}, {"max_val", 1.0}}));
}

// PRelu's slope: one value, or one per channel broadcasting along dimension 1 (nn.PReLU(C)
// exports it as [C, 1, 1] for images); the state-dict tensor is the flat [C] weight.
void convert_prelu(ConvertContext& ctx) {
  ctx.allow_attrs({});
  const Value& x = ctx.activation(0, "input X");
  if (ctx.input(1).quant) ctx.fail("a QONNX-quantized PRelu slope is not supported");
  at::Tensor slope = as_float(ctx.const_input(1, "slope"));
  const int64_t k = slope.numel();
  if (k != 1) {
    const int64_t offset = static_cast<int64_t>(x.shape.size()) - slope.dim();
    bool per_channel = x.shape.size() >= 2 && offset >= 0 && x.shape[1] == k;
    for (int64_t d = 0; per_channel && d < slope.dim(); ++d)
      per_channel = slope.size(d) == 1 || offset + d == 1;
    if (!per_channel)
      ctx.fail("slope of shape " + graph::shape_str(slope.sizes().vec()) +
               " on an input of shape " + graph::shape_str(x.shape) +
               " is not supported; chop's prelu has one slope or one per channel (dimension 1), "
               "as PyTorch's PReLU");
  }
  int p = ctx.emit("prelu", {&x}, Json{{"num_parameters", k}},
                   {{"weight", slope.reshape({k}).contiguous()}});
  ctx.pending(p).param_prefix = prefix_of(ctx.initializer_name(1), ".weight");
  set_out(ctx, p);
}

// Pow with a constant exponent; Sqrt and Reciprocal of an activation are pow 0.5 and -1
// (LibTorch computes those exponents with sqrt and reciprocal).
void convert_pow(ConvertContext& ctx) {
  ctx.allow_attrs({});
  double exponent = 0;
  if (ctx.node.op_type() == "Sqrt")
    exponent = 0.5;
  else if (ctx.node.op_type() == "Reciprocal")
    exponent = -1.0;
  else
    exponent = ctx.const_scalar(1, "exponent");
  if (!std::isfinite(exponent)) ctx.fail("exponent " + format_double(exponent) + " is not finite");
  emit_unary(ctx, "pow", Json{{"exponent", exponent}});
}

void convert_sum(ConvertContext& ctx) {
  variadic(ctx, "add");
}
void convert_max(ConvertContext& ctx) {
  variadic(ctx, "maximum");
}
void convert_min(ConvertContext& ctx) {
  variadic(ctx, "minimum");
}

// ReduceMean/Sum/Max/Min over dimensions other than the batch. A mean over every spatial
// dimension of an NCL/NCHW tensor (x.mean(dim=(2, 3)), global average pooling written by hand)
// is adaptive average pooling to size 1 (flattened when keepdims = 0), the op chop's engine,
// hardware passes and channel rewriting know.
void convert_reduce(ConvertContext& ctx) {
  ctx.allow_attrs({"axes", "keepdims", "noop_with_empty_axes"});
  const Value& x = ctx.activation(0, "data");
  const std::string& op = ctx.node.op_type();
  std::vector<int64_t> axes =
      ctx.has_input(1) ? ctx.const_ints(1, "axes") : ctx.attr_ints("axes", {});
  const bool keep = ctx.attr_int("keepdims", 1) != 0;
  if (axes.empty()) {
    if (ctx.attr_int("noop_with_empty_axes", 0) != 0) {
      ctx.set_output(0, x);
      return;
    }
    ctx.fail(
        "reduces over every dimension, the batch included (no axes); chop keeps the batch "
        "in dimension 0: reduce over the other dimensions (e.g. dim=1)");
  }
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  for (auto& a : axes) {
    if (a < -rank || a >= rank)
      ctx.fail("axis " + std::to_string(a) + " is out of range for a " + std::to_string(rank) +
               "-D input");
    if (a < 0) a += rank;
    if (a == 0)
      ctx.fail("reduces over dimension 0, the batch; chop keeps the batch in dimension 0");
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    ctx.fail("axes " + graph::shape_str(axes) + " name a dimension twice");
  const bool spatial = (rank == 3 && axes == std::vector<int64_t>{2}) ||
                       (rank == 4 && axes == std::vector<int64_t>{2, 3});
  if (op == "ReduceMean" && spatial) {
    const int p = rank == 3 ? ctx.emit("adaptive_avg_pool1d", {&x}, Json{{"output_size", {1}}})
                            : ctx.emit("adaptive_avg_pool2d", {&x}, Json{{"output_size", {1, 1}}});
    if (keep) {
      set_out(ctx, p);
      return;
    }
    const Value pooled = ctx.output_of(p);
    set_out(ctx, ctx.emit("flatten", {&pooled}, Json{{"start_dim", 1}, {"end_dim", -1}}));
    return;
  }
  const std::string mase_op = op == "ReduceMean"  ? "mean"
                              : op == "ReduceSum" ? "sum"
                              : op == "ReduceMax" ? "amax"
                                                  : "amin";
  set_out(ctx, ctx.emit(mase_op, {&x}, Json{{"dim", axes}, {"keepdim", keep}}));
}

}  // namespace chop::interop::onnx_import
