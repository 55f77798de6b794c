// The ONNX importer's driver: reads and checks the file, walks its nodes in order (folding
// constants, dispatching the rest to the op converters), names the chop nodes as torch.fx
// would, and assembles and verifies the graph. See onnx_import.h.
#include "interop/onnx_import.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/builder.h"
#include "graph/verify.h"
#include "interop/onnx_import_internal.h"
#include "passes/transforms/quantize.h"

namespace chop::interop {

namespace onnx_import {

std::string QuantSpec::describe() const {
  if (family == "binary") return "bipolar binary";
  return std::string(is_signed ? "signed" : "unsigned") + (narrow ? " narrow" : "") + " " +
         std::to_string(width) + "-bit, scale 2^" + std::to_string(-frac_width);
}

bool is_qonnx_domain(const std::string& domain) {
  return domain == "qonnx.custom_op.general" || domain == "onnx.brevitas" ||
         domain == "finn.custom_op.general";
}

std::string Importer::where(const onnx::NodeProto& n) const {
  const std::string label = !n.name().empty()     ? n.name()
                            : n.output_size() > 0 ? n.output(0)
                                                  : n.op_type();
  return "ONNX node '" + label + "' (" + onnx_io::op_label(n) + ", opset " +
         std::to_string(opset_) + ")";
}

void Importer::read_inputs() {
  for (const auto& t : model_.graph().initializer()) {
    Value v;
    v.kind = Value::Kind::kConstant;
    v.constant = onnx_io::to_tensor(t, path_ + ": initializer '" + t.name() + "'");
    v.onnx_dtype = t.data_type();
    values_[t.name()] = v;
    initializers_.insert(t.name());
  }
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& in : model_.graph().input())
    if (!initializers_.count(in.name())) inputs.push_back(&in);
  if (inputs.size() != 1) {
    std::vector<std::string> names;
    for (const auto* in : inputs) names.push_back(in->name());
    throw UserError(path_ + ": the model takes " + std::to_string(inputs.size()) + " inputs" +
                    (names.empty() ? "" : " (" + join(names, ", ") + ")") +
                    "; chop models take exactly one input tensor");
  }
  const onnx::ValueInfoProto& in = *inputs[0];
  input_name_ = in.name();
  if (!in.type().has_tensor_type() ||
      in.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT)
    throw UserError(path_ + ": input '" + in.name() +
                    "' is not a float32 tensor; chop feeds float32 data");
  if (!in.type().tensor_type().has_shape())
    throw UserError(path_ + ": input '" + in.name() +
                    "' has no shape; export with a fixed input shape (dynamic batch only)");
  const auto& dims = in.type().tensor_type().shape().dim();
  if (dims.size() < 2)
    throw UserError(path_ + ": input '" + in.name() + "' has " + std::to_string(dims.size()) +
                    " dimension(s); chop needs a batch dimension first and at least one more");
  input_shape_ = {-1};
  for (int i = 1; i < dims.size(); ++i) {
    const auto& d = dims[i];
    if (!d.has_dim_value() || d.dim_value() <= 0)
      throw UserError(path_ + ": input '" + in.name() + "' dimension " + std::to_string(i) +
                      " is dynamic ('" + (d.has_dim_param() ? d.dim_param() : std::string("?")) +
                      "'); chop supports a dynamic batch (dimension 0) only: export with fixed "
                      "sizes for the other dimensions");
    input_shape_.push_back(d.dim_value());
  }
  // Every shape below is derived from this one: refuse a sample that could never be allocated
  // before any size arithmetic on it.
  check_file_memory(
      path_, tensor_bytes(graph::Shape(input_shape_.begin() + 1, input_shape_.end()), 4),
      "input '" + in.name() + "' (one sample of " + graph::shape_str(input_shape_) + ")");
  Value v;
  v.kind = Value::Kind::kActivation;
  v.producer = -1;
  v.shape = input_shape_;
  values_[in.name()] = v;
  if (model_.graph().output_size() != 1)
    throw UserError(path_ + ": the model has " + std::to_string(model_.graph().output_size()) +
                    " outputs; chop models have exactly one output tensor");
  for (const auto& o : model_.graph().output()) graph_outputs_.insert(o.name());
  for (const auto& n : model_.graph().node())
    for (const auto& i : n.input())
      if (!i.empty()) consumers_[i].push_back(&n);
}

void Importer::convert_nodes() {
  for (const auto& n : model_.graph().node()) {
    if (absorbed_.count(&n)) continue;
    for (const auto& i : n.input())
      if (!i.empty() && !values_.count(i))
        throw DataError(path_, where(n) + " reads '" + i + "', which no earlier node produces");
    ConvertContext ctx(*this, n, opset_);
    // LibTorch refusing an operation on this node's values (shapes that do not broadcast, a
    // permutation or axis out of range, ...) means the model is inconsistent there: say which
    // node, never a raw LibTorch text with exit 70.
    try {
      convert_node(ctx);
    } catch (const c10::Error& e) {
      const std::string msg = e.what_without_backtrace();
      ctx.fail("its inputs are inconsistent (" + msg.substr(0, msg.find('\n')) +
               "); check the exporter's output with the ONNX checker and shape inference");
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      // LibTorch's refusals do not always arrive as c10::Error here (a reshape of a folded
      // constant to an impossible shape did not): any other library error is this node's too.
      const std::string msg = e.what();
      ctx.fail("its inputs are inconsistent (" + msg.substr(0, msg.find('\n')) +
               "); check the exporter's output with the ONNX checker and shape inference");
    }
  }
}

void Importer::convert_node(ConvertContext& ctx) {
  const onnx::NodeProto& n = ctx.node;
  if (fold_constant(ctx)) return;
  const bool standard = n.domain().empty() || n.domain() == "ai.onnx";
  if (!standard && !is_qonnx_domain(n.domain()))
    ctx.fail("the op domain '" + n.domain() +
             "' is not supported; chop reads the standard ONNX domain and QONNX's "
             "qonnx.custom_op.general (Quant, BipolarQuant)");
  const auto& table = standard ? standard_op_table() : qonnx_op_table();
  const OnnxOpRow* row = nullptr;
  for (const auto& r : table)
    if (r.op_type == n.op_type()) row = &r;
  if (!row) {
    std::vector<std::string> ops;
    for (const auto& r : table) ops.push_back(r.op_type);
    ctx.fail("op " + n.op_type() + " is not supported" + did_you_mean(n.op_type(), ops) +
             "; chop imports " + join(ops, ", ") + " (see `chop list onnx-ops`)");
  }
  row->convert(ctx);
  for (int i = 0; i < n.output_size(); ++i)
    if (!n.output(i).empty() && !values_.count(n.output(i)) &&
        (consumers_.count(n.output(i)) || graph_outputs_.count(n.output(i))))
      ctx.fail("output " + std::to_string(i) + " is used but chop does not compute it");
}

namespace {

bool is_module_like(const std::string& op) {
  static const std::set<std::string> ops = {"linear",
                                            "conv1d",
                                            "conv2d",
                                            "batch_norm1d",
                                            "batch_norm2d",
                                            "layer_norm",
                                            "relu",
                                            "relu6",
                                            "hardtanh",
                                            "sigmoid",
                                            "tanh",
                                            "leaky_relu",
                                            "log_softmax",
                                            "elu",
                                            "selu",
                                            "hardsigmoid",
                                            "hardswish",
                                            "softplus",
                                            "prelu",
                                            "gelu",
                                            "conv_transpose1d",
                                            "conv_transpose2d",
                                            "upsample",
                                            "softmax",
                                            "dropout",
                                            "identity",
                                            "max_pool1d",
                                            "max_pool2d",
                                            "avg_pool1d",
                                            "avg_pool2d",
                                            "adaptive_avg_pool1d",
                                            "adaptive_avg_pool2d",
                                            "flatten"};
  return ops.count(op) > 0;
}

bool valid_target(const std::string& t) {
  if (t.empty() || t.find("::") != std::string::npos) return false;
  for (char c : t)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  return !std::isdigit(static_cast<unsigned char>(t[0]));
}

std::string unique(const std::string& base, std::set<std::string>& used) {
  std::string name = base;
  for (int k = 1; used.count(name); ++k) name = base + "_" + std::to_string(k);
  used.insert(name);
  return name;
}

}  // namespace

graph::Graph Importer::assemble(int output_producer) {
  std::map<std::string, int> scope_count;
  std::set<std::string> scopes;
  for (const auto& p : nodes_)
    if (!p.dead && p.node.mase_op != "constant" && !p.scope.empty()) {
      scope_count[p.scope]++;
      scopes.insert(p.scope);
    }
  auto is_leaf = [&](const std::string& s) {
    for (const auto& other : scopes)
      if (starts_with(other, s + ".")) return false;
    return true;
  };

  std::set<std::string> names = {"output"}, targets;
  std::string input = graph::fx_name_from_target(input_name_);
  if (input.empty() || std::isdigit(static_cast<unsigned char>(input[0]))) input = "x";
  names.insert(input);
  int n_constants = 0;
  for (auto& p : nodes_) {
    if (p.dead) continue;
    graph::Node& n = p.node;
    const graph::OpSpec& spec = graph::op_spec(n.mase_op);
    const bool has_state = !n.params.empty() || !n.buffers.empty();
    std::string target;
    if (has_state) {
      for (const std::string& cand : {p.param_prefix, p.scope})
        if (target.empty() && valid_target(cand) && !targets.count(cand)) target = cand;
      if (target.empty()) target = unique(n.mase_op, targets);
    } else if (is_module_like(n.mase_op) && !p.scope.empty() && is_leaf(p.scope) &&
               scope_count[p.scope] == 1 && valid_target(p.scope) && !targets.count(p.scope)) {
      target = p.scope;
    }
    if (!target.empty()) {
      targets.insert(target);
      n.op = graph::FxOp::kCallModule;
      n.target = target;
      n.name = unique(graph::fx_name_from_target(target), names);
    } else if (n.mase_op == "constant") {
      n.op = graph::FxOp::kGetAttr;
      std::string name;
      do {
        name = "_tensor_constant" + std::to_string(n_constants++);
      } while (names.count(name));
      names.insert(name);
      n.name = n.target = name;
    } else {
      n.op = spec.fx_op == graph::FxOp::kCallModule ? graph::FxOp::kCallFunction : spec.fx_op;
      n.target = spec.torch_class;
      n.name = !p.explicit_name.empty() && !names.count(p.explicit_name)
                   ? unique(p.explicit_name, names)
                   : unique(n.mase_op, names);
    }
  }

  graph::Graph g(std::filesystem::path(path_).stem().string());
  graph::Node x;
  x.name = x.target = input;
  x.op = graph::FxOp::kPlaceholder;
  x.mase_op = x.mase_type = "placeholder";
  x.attrs["shape"] = input_shape_;
  g.append(std::move(x));
  std::vector<std::string> node_names;
  for (const auto& p : nodes_) node_names.push_back(p.node.name);
  auto name_of = [&](int idx) { return idx < 0 ? input : node_names[static_cast<size_t>(idx)]; };
  for (auto& p : nodes_) {
    if (p.dead) continue;
    p.node.inputs.clear();
    for (int i : p.inputs) p.node.inputs.push_back(name_of(i));
    g.append(std::move(p.node));
  }
  g.append(graph::output_node(name_of(output_producer)));
  return g;
}

graph::Graph Importer::run() {
  model_ = onnx_io::read_model(path_);
  opset_ = onnx_io::default_opset(model_);
  if (opset_ < 7)
    throw UserError(path_ + ": default-domain opset " + std::to_string(opset_) +
                    " is too old; chop imports opsets 7 to 17 (exporters: opset_version 11-17)");
  // No libonnx shape inference: chop computes every shape itself (emit, graph::verify), and
  // libonnx 1.12's inference dereferences out of range on some malformed models (a Conv whose
  // weight rank differs from its input's: fuzz/corpus/onnx/finding_conv_rank_mismatch).
  read_inputs();
  convert_nodes();
  const std::string out_name = model_.graph().output(0).name();
  auto out_it = values_.find(out_name);
  if (out_it == values_.end()) {
    std::string last;
    const auto& nodes = model_.graph().node();
    if (!nodes.empty()) {
      const onnx::NodeProto& n = nodes[nodes.size() - 1];
      std::vector<std::string> outs(n.output().begin(), n.output().end());
      last = "; the last node, '" + (n.name().empty() ? n.op_type() : n.name()) + "' (" +
             onnx_io::op_label(n) + ") outputs '" + join(outs, "', '") + "'";
    }
    throw DataError(path_, "the graph output '" + out_name +
                               "' is not produced by any node, initializer or input" + last +
                               ": graph.output[0].name must name one of them (re-export the "
                               "model)");
  }
  const Value& out = out_it->second;
  if (out.kind != Value::Kind::kActivation)
    throw UserError(path_ + ": the model output '" + out_name +
                    "' does not depend on the input (a constant); nothing to import");
  std::optional<QuantSpec> out_quant = out.quant;
  resolve_quantizers(nodes_, out_quant, out.producer, path_);
  graph::Graph g = assemble(out.producer);
  g.meta()["software"]["source"] = {
      {"format", "onnx"},
      {"path", path_},
      {"opset", opset_},
      {"producer", model_.producer_name() + " " + model_.producer_version()}};
  graph::Shape probe = input_shape_;
  probe[0] = 1;
  graph::verify(g, probe);
  passes::attach_quantizers(g);
  g.set_requires_grad(true);
  return g;
}

}  // namespace onnx_import

bool is_onnx_path(const std::string& model) {
  return ends_with(to_lower(model), ".onnx");
}

graph::Graph import_onnx(const std::string& path) {
  onnx_import::Importer imp(path);
  return imp.run();
}

std::vector<OnnxOpInfo> supported_onnx_ops() {
  std::vector<OnnxOpInfo> out;
  for (const auto& r : onnx_import::standard_op_table()) out.push_back({"", r.op_type, r.summary});
  for (const auto& r : onnx_import::qonnx_op_table())
    out.push_back({"qonnx.custom_op.general", r.op_type, r.summary});
  return out;
}

}  // namespace chop::interop
