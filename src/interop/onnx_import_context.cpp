// The per-node conversion context the op converters work through: a node's inputs (constant or
// activation), its attributes with ONNX defaults, its consumers and producers, and `emit`, which
// adds a chop node after checking its attributes and inferring its shape. See
// onnx_import_internal.h.
#include <c10/util/Exception.h>

#include <algorithm>

#include "core/error.h"
#include "core/limits.h"
#include "core/strings.h"
#include "graph/attrs.h"
#include "interop/onnx_import_internal.h"

namespace chop::interop::onnx_import {

void ConvertContext::fail(const std::string& msg) const {
  throw UserError(imp_.path_ + ": " + imp_.where(node) + ": " + msg);
}

bool ConvertContext::has_input(size_t i) const {
  return static_cast<int>(i) < node.input_size() && !node.input(static_cast<int>(i)).empty();
}

const Value& ConvertContext::input(size_t i) const {
  if (!has_input(i)) fail("input " + std::to_string(i) + " is missing");
  auto it = imp_.values_.find(node.input(static_cast<int>(i)));
  if (it == imp_.values_.end())
    fail("input " + std::to_string(i) + " ('" + node.input(static_cast<int>(i)) +
         "') is produced by no earlier node, initializer or graph input");
  return it->second;
}

bool ConvertContext::is_const(size_t i) const {
  return has_input(i) && input(i).kind == Value::Kind::kConstant;
}

at::Tensor ConvertContext::const_input(size_t i, const std::string& what) const {
  const Value& v = input(i);
  if (v.kind != Value::Kind::kConstant)
    fail(what + " (input " + std::to_string(i) + ", '" + node.input(static_cast<int>(i)) +
         "') is computed at run time; chop needs it constant (an initializer)");
  return v.constant;
}

std::vector<int64_t> ConvertContext::const_ints(size_t i, const std::string& what) const {
  at::Tensor t = const_input(i, what);
  if (t.is_floating_point()) fail(what + " must be integers");
  at::Tensor c = t.to(at::kLong).reshape({-1}).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

double ConvertContext::const_scalar(size_t i, const std::string& what) const {
  at::Tensor t = const_input(i, what);
  if (t.numel() != 1) fail(what + " must be a single value, got " + std::to_string(t.numel()));
  return t.to(at::kDouble).item<double>();
}

const Value& ConvertContext::activation(size_t i, const std::string& what) const {
  const Value& v = input(i);
  if (v.kind == Value::Kind::kShape)
    fail(what + " is a shape computed at run time (a dynamic shape other than the batch)");
  if (v.kind != Value::Kind::kActivation) fail(what + " must not be a constant");
  return v;
}

const Value* ConvertContext::find_value(const std::string& name) const {
  auto it = imp_.values_.find(name);
  return it == imp_.values_.end() ? nullptr : &it->second;
}

int onnx_dtype_of(const ConvertContext& ctx, size_t i) {
  return ctx.has_input(i) ? ctx.input(i).onnx_dtype : 0;
}

std::string ConvertContext::initializer_name(size_t i) const {
  if (!has_input(i)) return "";
  const std::string& name = node.input(static_cast<int>(i));
  return imp_.initializers_.count(name) ? name : "";
}

void ConvertContext::allow_attrs(std::initializer_list<const char*> names) const {
  for (const auto& a : node.attribute()) {
    bool ok = false;
    for (const char* n : names) ok |= a.name() == n;
    if (ok) continue;
    std::vector<std::string> list(names.begin(), names.end());
    fail("attribute '" + a.name() + "' is not supported" +
         (list.empty() ? std::string("; chop supports this op without attributes")
                       : "; chop supports " + join(list, ", ")));
  }
}

bool ConvertContext::has_attr(const std::string& name) const {
  return onnx_io::find_attr(node, name) != nullptr;
}

int64_t ConvertContext::attr_int(const std::string& name, int64_t def) const {
  const auto* a = onnx_io::find_attr(node, name);
  if (!a) return def;
  if (a->type() != onnx::AttributeProto::INT) fail("attribute '" + name + "' must be an integer");
  return a->i();
}

std::vector<int64_t> ConvertContext::attr_ints(const std::string& name,
                                               std::vector<int64_t> def) const {
  const auto* a = onnx_io::find_attr(node, name);
  if (!a) return def;
  if (a->type() != onnx::AttributeProto::INTS)
    fail("attribute '" + name + "' must be a list of integers");
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

double ConvertContext::attr_float(const std::string& name, double def) const {
  const auto* a = onnx_io::find_attr(node, name);
  if (!a) return def;
  if (a->type() != onnx::AttributeProto::FLOAT) fail("attribute '" + name + "' must be a float");
  return a->f();
}

std::string ConvertContext::attr_str(const std::string& name, const std::string& def) const {
  const auto* a = onnx_io::find_attr(node, name);
  if (!a) return def;
  if (a->type() != onnx::AttributeProto::STRING) fail("attribute '" + name + "' must be a string");
  return a->s();
}

bool ConvertContext::is_graph_output(size_t i) const {
  return static_cast<int>(i) < node.output_size() &&
         imp_.graph_outputs_.count(node.output(static_cast<int>(i))) > 0;
}

std::vector<const onnx::NodeProto*> ConvertContext::consumers(size_t i) const {
  if (static_cast<int>(i) >= node.output_size()) return {};
  auto it = imp_.consumers_.find(node.output(static_cast<int>(i)));
  return it == imp_.consumers_.end() ? std::vector<const onnx::NodeProto*>{} : it->second;
}

std::vector<const onnx::NodeProto*> ConvertContext::consumers_of(const std::string& value) const {
  auto it = imp_.consumers_.find(value);
  return it == imp_.consumers_.end() ? std::vector<const onnx::NodeProto*>{} : it->second;
}

bool ConvertContext::is_graph_value(const std::string& value) const {
  return imp_.graph_outputs_.count(value) > 0;
}

const onnx::NodeProto* ConvertContext::producer_of(const std::string& value) const {
  for (const auto& n : imp_.model_.graph().node())
    for (const auto& o : n.output())
      if (o == value) return &n;
  return nullptr;
}

void ConvertContext::require_unused_outputs_from(size_t first) const {
  for (int i = static_cast<int>(first); i < node.output_size(); ++i) {
    if (node.output(i).empty()) continue;
    if (!consumers(static_cast<size_t>(i)).empty() || is_graph_output(static_cast<size_t>(i)))
      fail("output " + std::to_string(i) + " ('" + node.output(i) +
           "') is used; chop computes only output 0 of this op");
  }
}

void ConvertContext::absorb(const onnx::NodeProto& other, const Value& v) {
  imp_.absorbed_.insert(&other);
  imp_.values_[other.output(0)] = v;
}

PendingNode& ConvertContext::pending(int index) {
  return imp_.nodes_.at(static_cast<size_t>(index));
}

Value ConvertContext::output_of(int index) const {
  Value v;
  v.kind = Value::Kind::kActivation;
  v.producer = index;
  v.shape = imp_.nodes_.at(static_cast<size_t>(index)).out_shape;
  return v;
}

void ConvertContext::set_output(size_t i, Value v) {
  if (static_cast<int>(i) < node.output_size() && !node.output(static_cast<int>(i)).empty())
    imp_.values_[node.output(static_cast<int>(i))] = std::move(v);
}

namespace {

// A constant operand of an activation op becomes a get_attr node holding its values.
constexpr int64_t kMaxConstantValues = 65536;

}  // namespace

int ConvertContext::emit(const std::string& mase_op, const std::vector<const Value*>& inputs,
                         graph::Json attrs, graph::NamedTensors params,
                         graph::NamedTensors buffers) {
  const graph::OpSpec& spec = graph::op_spec(mase_op);
  PendingNode p;
  p.onnx_name = node.name();
  p.onnx_op = node.op_type();
  p.scope = module_path(node.name());
  p.explicit_name = explicit_fx_name(node.name(), node.op_type());
  std::vector<graph::Shape> in_shapes;
  for (const Value* v : inputs) {
    if (!v->pad.empty() && mase_op != "conv1d" && mase_op != "conv2d" && mase_op != "avg_pool1d" &&
        mase_op != "avg_pool2d")
      fail(
          "reads the output of a Pad node; chop folds zero padding into a following Conv or "
          "AveragePool only");
    if (v->kind == Value::Kind::kShape)
      fail("an input is a shape computed at run time (a dynamic shape other than the batch)");
    if (v->kind == Value::Kind::kConstant) {
      if (v->quant)
        fail("a QONNX-quantized constant feeds an op chop does not quantize weights of");
      if (v->constant.numel() > kMaxConstantValues)
        fail("a constant operand of " + std::to_string(v->constant.numel()) +
             " values; chop keeps constant operands in the graph (at most 65,536 values)");
      PendingNode c;
      c.onnx_name = node.name();
      c.onnx_op = "Constant";
      c.node.mase_op = "constant";
      c.node.mase_type = "get_attr";
      at::Tensor t = v->constant.to(at::kFloat).contiguous();
      graph::Json values = graph::Json::array();
      for (int64_t k = 0; k < t.numel(); ++k) values.push_back(t.data_ptr<float>()[k]);
      c.node.attrs = {{"shape", t.sizes().vec()}, {"value", values}};
      c.out_shape = t.sizes().vec();
      imp_.nodes_.push_back(std::move(c));
      p.inputs.push_back(static_cast<int>(imp_.nodes_.size()) - 1);
      p.input_quant.push_back(std::nullopt);
      in_shapes.push_back(t.sizes().vec());
      continue;
    }
    p.inputs.push_back(v->producer);
    p.input_quant.push_back(v->quant);
    in_shapes.push_back(v->shape);
  }
  graph::Node& n = p.node;
  n.name = node.name().empty() ? node.op_type() : node.name();
  n.mase_op = mase_op;
  n.mase_type = spec.mase_type;
  n.op = spec.fx_op;
  n.attrs = std::move(attrs);
  for (auto it = spec.default_attrs.begin(); it != spec.default_attrs.end(); ++it)
    if (!n.attrs.contains(it.key())) n.attrs[it.key()] = it.value();
  n.params = std::move(params);
  n.buffers = std::move(buffers);
  // Shapes with the batch as 1; a dimension 0 that was the batch stays -1.
  std::vector<graph::Shape> probe = in_shapes;
  bool batched = false;
  for (auto& s : probe)
    if (!s.empty() && s[0] == -1) {
      s[0] = 1;
      batched = true;
    }
  try {
    graph::check_node_attrs(n);  // the attribute ranges graph text and verify enforce
    p.out_shape = spec.infer_shape(n, probe);
  } catch (const UserError& e) {
    fail(e.what());
  }
  if (batched && !p.out_shape.empty()) p.out_shape[0] = -1;
  imp_.nodes_.push_back(std::move(p));
  return static_cast<int>(imp_.nodes_.size()) - 1;
}

}  // namespace chop::interop::onnx_import
