// ONNX / QONNX / QDQ writer; see onnx_export.h. Node names follow torch.onnx's scheme
// ("/<module path>/<Op>" for modules, "/<fx name>" for functions) and initializers keep
// chop's state-dict names, so a re-import gives back the same node names and parameters.
#include "interop/onnx_export.h"

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "core/error.h"
#include "core/files.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/op_shapes.h"
#include "graph/ops.h"
#include "graph/verify.h"
#include "interop/onnx_proto.h"
#include "quant/config.h"
#include "quant/integer.h"

namespace chop::interop {
namespace {

using graph::Json;
using graph::Node;

constexpr int64_t kOpset = 17;
constexpr const char* kQonnxDomain = "qonnx.custom_op.general";

std::vector<int64_t> ints(const Node& n, const std::string& key, size_t dims) {
  const Json& v = n.attrs.at(key);
  if (v.is_number_integer()) return std::vector<int64_t>(dims, v.get<int64_t>());
  return v.get<std::vector<int64_t>>();
}

class Writer {
 public:
  Writer(const graph::Graph& g, OnnxFlavour flavour) : g_(g), flavour_(flavour) {}

  onnx::ModelProto run() {
    const Node& x = g_.nodes().front();
    graph::Shape in_shape = x.attrs.value("shape", graph::Shape{});
    if (in_shape.empty())
      throw UserError("model " + g_.model_name() + " does not declare its input shape");
    graph::Shape probe = in_shape;
    probe[0] = 1;
    const std::vector<graph::Shape> shapes = graph::verify(g_, probe);
    for (size_t i = 0; i < g_.nodes().size(); ++i) shape_[g_.nodes()[i].name] = shapes[i];

    onnx::GraphProto* gp = model_.mutable_graph();
    gp->set_name(g_.model_name().empty() ? "chop" : g_.model_name());
    declare(gp->add_input(), x.name, in_shape);
    value_[x.name] = x.name;
    for (const auto& n : g_.nodes()) {
      if (n.op == graph::FxOp::kPlaceholder) continue;
      if (n.op == graph::FxOp::kOutput) {
        finish_output(n);
        break;
      }
      emit(n);
    }
    model_.set_ir_version(8);
    model_.set_producer_name("chop");
    model_.set_producer_version("0.1.0");
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(kOpset);
    if (used_qonnx_) {
      auto* q = model_.add_opset_import();
      q->set_domain(kQonnxDomain);
      q->set_version(1);
    }
    auto* meta = model_.add_metadata_props();
    meta->set_key("chop_model");
    meta->set_value(g_.model_name());
    return std::move(model_);
  }

 private:
  [[noreturn]] void fail(const Node& n, const std::string& msg) const {
    throw UserError("cannot export node " + n.name + " (" + n.mase_op + ") as " + flavour_name() +
                    ": " + msg);
  }
  std::string flavour_name() const {
    return flavour_ == OnnxFlavour::kFloat   ? "ONNX"
           : flavour_ == OnnxFlavour::kQonnx ? "QONNX"
                                             : "QDQ ONNX";
  }

  void declare(onnx::ValueInfoProto* v, const std::string& name, const graph::Shape& shape) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* sh = tt->mutable_shape();
    for (size_t d = 0; d < shape.size(); ++d) {
      auto* dim = sh->add_dim();
      if (d == 0)
        dim->set_dim_param("batch");
      else
        dim->set_dim_value(shape[d]);
    }
  }

  std::string base_name(const Node& n) const {
    if (n.op == graph::FxOp::kCallModule) {
      const graph::OpSpec* spec = graph::find_op(n.mase_op);
      return "/" + n.target + "/" + (spec ? spec->torch_class : n.mase_op);
    }
    return "/" + n.name;
  }

  std::string unique_node_name(const std::string& base) {
    std::string name = base;
    for (int k = 1; node_names_.count(name); ++k) name = base + "_" + std::to_string(k);
    node_names_.insert(name);
    return name;
  }

  std::string add_node(const std::string& op_type, const std::string& name,
                       const std::vector<std::string>& inputs,
                       const std::function<void(onnx::NodeProto*)>& attrs = nullptr,
                       const std::string& domain = "") {
    onnx::NodeProto* p = model_.mutable_graph()->add_node();
    p->set_op_type(op_type);
    p->set_name(unique_node_name(name));
    if (!domain.empty()) p->set_domain(domain);
    for (const auto& i : inputs) p->add_input(i);
    const std::string out = p->name() + "_output_0";
    p->add_output(out);
    if (attrs) attrs(p);
    return out;
  }

  std::string add_init(const std::string& name, const at::Tensor& t) {
    std::string unique = name;
    for (int k = 1; inits_.count(unique); ++k) unique = name + "_" + std::to_string(k);
    inits_.insert(unique);
    onnx_io::from_tensor(t, unique, model_.mutable_graph()->add_initializer());
    return unique;
  }

  static void attr_int(onnx::NodeProto* p, const std::string& name, int64_t v) {
    auto* a = p->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_ints(onnx::NodeProto* p, const std::string& name,
                        const std::vector<int64_t>& v) {
    auto* a = p->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t e : v) a->add_ints(e);
  }
  static void attr_float(onnx::NodeProto* p, const std::string& name, double v) {
    auto* a = p->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(static_cast<float>(v));
  }
  static void attr_str(onnx::NodeProto* p, const std::string& name, const std::string& v) {
    auto* a = p->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }

  // ---- quantizers --------------------------------------------------------------------------

  // Applies operand quantizer `q` to value `v` (named after `where`) for the current flavour.
  std::string quantize(const Node& n, const quant::OperandQuant& q, const std::string& v,
                       const std::string& where) {
    if (flavour_ == OnnxFlavour::kFloat) return v;
    if (q.family == quant::QuantFamily::kBinary) {
      if (flavour_ == OnnxFlavour::kQdq)
        fail(n,
             "QDQ expresses integer quantization of at most 8 bits, not binary; use --format "
             "qonnx (BipolarQuant)");
      if (q.stochastic || !q.bipolar)
        fail(n,
             "only deterministic bipolar binary quantization has a QONNX form "
             "(BipolarQuant); this node's " +
                 q.operand + " is " + std::string(q.stochastic ? "stochastic" : "zero/scaled"));
      used_qonnx_ = true;
      const std::string one = add_init(where + ".scale", at::ones({}, at::kFloat));
      return add_node("BipolarQuant", where + "/BipolarQuant", {v, one}, nullptr, kQonnxDomain);
    }
    if (q.family != quant::QuantFamily::kInteger)
      fail(n, "its " + q.operand + " uses " + quant::family_name(q.family) + " quantization; " +
                  flavour_name() + " expresses integer (fixed-point) quantization" +
                  (flavour_ == OnnxFlavour::kQonnx ? " and bipolar binary" : "") +
                  " (use --format onnx for the float model)");
    const int f = quant::effective_frac_width(q.width, q.frac_width);
    if (f < -126 || f > 126) fail(n, "frac_width " + std::to_string(f) + " has no float32 scale");
    const at::Tensor scale = at::full({}, std::ldexp(1.0, -f), at::kFloat);
    const auto range = quant::integer_range(q.width, q.is_signed, q.narrow);
    if (flavour_ == OnnxFlavour::kQonnx) {
      used_qonnx_ = true;
      const std::string s = add_init(where + ".scale", scale);
      const std::string z = add_init(where + ".zeropt", at::zeros({}, at::kFloat));
      const std::string b = add_init(where + ".bitwidth", at::full({}, q.width, at::kFloat));
      return add_node(
          "Quant", where + "/Quant", {v, s, z, b},
          [&](onnx::NodeProto* p) {
            attr_int(p, "signed", q.is_signed ? 1 : 0);
            attr_int(p, "narrow", q.narrow ? 1 : 0);
            attr_str(p, "rounding_mode", "ROUND");
          },
          kQonnxDomain);
    }
    // QDQ: int8 / uint8 codes; a narrower range is a Clip before QuantizeLinear (exact: the
    // clipped values round to codes inside the range).
    if (q.width > 8)
      fail(n, "its " + q.operand + " has " + std::to_string(q.width) +
                  " bits; QuantizeLinear holds at most 8 (int8/uint8): use --format qonnx");
    const bool full_range = q.is_signed ? range.first == -128 && range.second == 127
                                        : range.first == 0 && range.second == 255;
    std::string in = v;
    if (!full_range) {
      const double s = std::ldexp(1.0, -f);
      const std::string lo =
          add_init(where + ".clip_min", at::full({}, range.first * s, at::kFloat));
      const std::string hi =
          add_init(where + ".clip_max", at::full({}, range.second * s, at::kFloat));
      in = add_node("Clip", where + "/Clip", {v, lo, hi});
    }
    const std::string s = add_init(where + ".scale", scale);
    const std::string z =
        add_init(where + ".zero_point", at::zeros({}, q.is_signed ? at::kChar : at::kByte));
    const std::string qv = add_node("QuantizeLinear", where + "/QuantizeLinear", {in, s, z});
    return add_node("DequantizeLinear", where + "/DequantizeLinear", {qv, s, z});
  }

  std::optional<quant::NodeQuantConfig> config_of(const Node& n) const {
    if (!n.quant || !n.quant->config.is_object() || n.quant->config.empty()) return std::nullopt;
    quant::NodeQuantConfig cfg = quant::parse_node_quant_config(
        n.quant->config, n.mase_op, "node " + n.name + " (" + n.mase_op + ")");
    if (!cfg.quantized()) return std::nullopt;
    return cfg;
  }

  // ---- node emission -----------------------------------------------------------------------

  std::string input(const Node& n, size_t i) const { return value_.at(n.inputs.at(i)); }

  // The node's activation inputs with data_in (and matmul's second-operand) quantizers.
  std::vector<std::string> inputs(const Node& n, const std::optional<quant::NodeQuantConfig>& c) {
    std::vector<std::string> out;
    const std::string base = base_name(n);
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      std::string v = input(n, i);
      const bool second = (n.mase_op == "matmul" || n.mase_op == "bmm") && i == 1;
      if (c && second && c->weight)
        v = quantize(n, *c->weight, v, base + "/input_" + std::to_string(i) + "_quant");
      else if (c && c->data_in)
        v = quantize(n, *c->data_in, v, base + "/input_" + std::to_string(i) + "_quant");
      out.push_back(v);
    }
    return out;
  }

  std::string param(const Node& n, const std::string& pname,
                    const std::optional<quant::OperandQuant>& q) {
    const at::Tensor* t = n.param(pname);
    CHOP_ASSERT(t, "node " + n.name + " has no parameter " + pname);
    std::string v = add_init(n.target + "." + pname, *t);
    if (q) v = quantize(n, *q, v, "/" + n.target + "/" + pname + "_quant");
    return v;
  }

  void emit(const Node& n) {
    const auto cfg = flavour_ == OnnxFlavour::kFloat ? std::nullopt : config_of(n);
    if (flavour_ == OnnxFlavour::kFloat && n.quant && !warned_float_) {
      log_warning(
          "--format onnx writes the float model: quantizers are left out (use qonnx "
          "or qdq to keep them)");
      warned_float_ = true;
    }
    const std::string& op = n.mase_op;
    const std::string name = base_name(n);
    const graph::Shape& in_shape = n.inputs.empty() ? graph::Shape{} : shape_.at(n.inputs[0]);
    std::string out;
    auto weight_q = [&]() { return cfg ? cfg->weight : std::nullopt; };
    auto bias_q = [&]() { return cfg ? cfg->bias : std::nullopt; };
    if (op == "constant") {
      graph::Shape shape = n.attrs.at("shape").get<graph::Shape>();
      std::vector<float> vals;
      const Json& v = n.attrs.at("value");
      if (v.is_number())
        vals.push_back(v.get<float>());
      else
        for (const auto& e : v) vals.push_back(e.get<float>());
      value_[n.name] = add_init(n.name, at::tensor(vals, at::kFloat).reshape(shape));
      return;
    }
    std::vector<std::string> in = inputs(n, cfg);
    if (op == "linear") {
      std::vector<std::string> args = {in[0]};
      if (in_shape.size() == 2) {
        args.push_back(param(n, "weight", weight_q()));
        if (n.param("bias")) args.push_back(param(n, "bias", bias_q()));
        out = add_node("Gemm", name, args, [](onnx::NodeProto* p) { attr_int(p, "transB", 1); });
      } else {
        std::string w = add_init(n.target + ".weight", n.param("weight")->t().contiguous());
        if (weight_q()) w = quantize(n, *weight_q(), w, "/" + n.target + "/weight_quant");
        out = add_node("MatMul", "/" + n.target + "/MatMul", {in[0], w});
        if (n.param("bias"))
          out = add_node("Add", "/" + n.target + "/Add", {out, param(n, "bias", bias_q())});
      }
    } else if (op == "conv1d" || op == "conv2d") {
      const size_t d = op == "conv1d" ? 1 : 2;
      std::vector<std::string> args = {in[0], param(n, "weight", weight_q())};
      if (n.param("bias")) args.push_back(param(n, "bias", bias_q()));
      std::vector<int64_t> pads = ints(n, "padding", d);
      pads.insert(pads.end(), pads.begin(), pads.end());
      out = add_node("Conv", name, args, [&](onnx::NodeProto* p) {
        attr_ints(p, "kernel_shape", ints(n, "kernel_size", d));
        attr_ints(p, "strides", ints(n, "stride", d));
        attr_ints(p, "pads", pads);
        attr_ints(p, "dilations", ints(n, "dilation", d));
        attr_int(p, "group", n.attrs.value("groups", int64_t{1}));
      });
    } else if (op == "batch_norm1d" || op == "batch_norm2d") {
      const int64_t c = n.attr_int("num_features");
      if (!n.attrs.value("track_running_stats", true))
        fail(n, "BatchNorm without running statistics has no inference form");
      auto p_or = [&](const char* pname, double fill) {
        const at::Tensor* t = n.param(pname);
        return add_init(n.target + "." + pname, t ? *t : at::full({c}, fill, at::kFloat));
      };
      graph::Node& mut = const_cast<graph::Node&>(n);
      std::vector<std::string> args = {
          in[0], p_or("weight", 1.0), p_or("bias", 0.0),
          add_init(n.target + ".running_mean", *mut.buffer("running_mean")),
          add_init(n.target + ".running_var", *mut.buffer("running_var"))};
      out = add_node("BatchNormalization", name, args, [&](onnx::NodeProto* p) {
        attr_float(p, "epsilon", n.attrs.value("eps", 1e-5));
        attr_float(p, "momentum", 1.0 - n.attrs.value("momentum", 0.1));
      });
    } else if (op == "layer_norm") {
      const graph::Shape s = n.attrs.at("normalized_shape").get<graph::Shape>();
      auto p_or = [&](const char* pname, double fill) {
        const at::Tensor* t = n.param(pname);
        return add_init(n.target + "." + pname, t ? *t : at::full(s, fill, at::kFloat));
      };
      out = add_node("LayerNormalization", name, {in[0], p_or("weight", 1.0), p_or("bias", 0.0)},
                     [&](onnx::NodeProto* p) {
                       attr_int(p, "axis", -static_cast<int64_t>(s.size()));
                       attr_float(p, "epsilon", n.attrs.value("eps", 1e-5));
                     });
    } else if (op == "relu" || op == "sigmoid" || op == "tanh" || op == "identity") {
      const std::string t = op == "relu"      ? "Relu"
                            : op == "sigmoid" ? "Sigmoid"
                            : op == "tanh"    ? "Tanh"
                                              : "Identity";
      out = add_node(t, name, {in[0]});
    } else if (op == "leaky_relu") {
      out = add_node("LeakyRelu", name, {in[0]}, [&](onnx::NodeProto* p) {
        attr_float(p, "alpha", n.attrs.value("negative_slope", 0.01));
      });
    } else if (op == "relu6" || op == "hardtanh") {
      const double lo = op == "relu6" ? 0.0 : n.attrs.value("min_val", -1.0);
      const double hi = op == "relu6" ? 6.0 : n.attrs.value("max_val", 1.0);
      out = add_node("Clip", name,
                     {in[0], add_init(name + ".min", at::full({}, lo, at::kFloat)),
                      add_init(name + ".max", at::full({}, hi, at::kFloat))});
    } else if (op == "softmax" || op == "log_softmax") {
      out = add_node(
          op == "softmax" ? "Softmax" : "LogSoftmax", name, {in[0]},
          [&](onnx::NodeProto* p) { attr_int(p, "axis", n.attrs.value("dim", int64_t{-1})); });
    } else if (const std::string math = emit_math(n, name, in); !math.empty()) {
      out = math;
    } else if (op == "dropout") {
      out = add_node(
          "Dropout", name,
          {in[0], add_init(name + ".ratio", at::full({}, n.attrs.value("p", 0.5), at::kFloat))});
    } else if (op == "max_pool1d" || op == "max_pool2d" || op == "avg_pool1d" ||
               op == "avg_pool2d") {
      const size_t d = ends_with(op, "1d") ? 1 : 2;
      const bool max = starts_with(op, "max");
      std::vector<int64_t> k = ints(n, "kernel_size", d);
      std::vector<int64_t> s =
          n.attrs.contains("stride") && !n.attrs["stride"].is_null() ? ints(n, "stride", d) : k;
      std::vector<int64_t> pads = ints(n, "padding", d);
      pads.insert(pads.end(), pads.begin(), pads.end());
      out = add_node(max ? "MaxPool" : "AveragePool", name, {in[0]}, [&](onnx::NodeProto* p) {
        attr_ints(p, "kernel_shape", k);
        attr_ints(p, "strides", s);
        attr_ints(p, "pads", pads);
        if (n.attrs.value("ceil_mode", false)) attr_int(p, "ceil_mode", 1);
        if (max && n.attrs.contains("dilation")) attr_ints(p, "dilations", ints(n, "dilation", d));
        if (!max)
          attr_int(p, "count_include_pad", n.attrs.value("count_include_pad", true) ? 1 : 0);
      });
    } else if (op == "adaptive_avg_pool1d" || op == "adaptive_avg_pool2d") {
      const size_t d = op == "adaptive_avg_pool1d" ? 1 : 2;
      std::vector<int64_t> o = ints(n, "output_size", d);
      bool global = true;
      for (int64_t v : o) global &= v == 1;
      if (global) {
        out = add_node("GlobalAveragePool", name, {in[0]});
      } else {
        std::vector<int64_t> k;
        for (size_t i = 0; i < d; ++i) {
          const int64_t size = in_shape.at(2 + i);
          if (size % o[i])
            fail(n, "adaptive pooling of " + std::to_string(size) + " to " + std::to_string(o[i]) +
                        " has no fixed window");
          k.push_back(size / o[i]);
        }
        out = add_node("AveragePool", name, {in[0]}, [&](onnx::NodeProto* p) {
          attr_ints(p, "kernel_shape", k);
          attr_ints(p, "strides", k);
        });
      }
    } else if (op == "flatten" || op == "view") {
      const graph::Shape& s = shape_.at(n.name);
      const int64_t start = n.attrs.value("start_dim", int64_t{1});
      const int64_t end = n.attrs.value("end_dim", int64_t{-1});
      if (op == "flatten" && start == 1 &&
          (end == -1 || end + 1 == static_cast<int64_t>(in_shape.size()))) {
        out =
            add_node("Flatten", name, {in[0]}, [](onnx::NodeProto* p) { attr_int(p, "axis", 1); });
      } else {
        std::vector<int64_t> target(s.begin(), s.end());
        target[0] = -1;
        out = add_node("Reshape", name,
                       {in[0], add_init(name + ".shape", at::tensor(target, at::kLong))});
      }
    } else if (op == "add" || op == "sub" || op == "mul") {
      out = add_node(op == "add" ? "Add" : op == "sub" ? "Sub" : "Mul", name, in);
    } else if (op == "matmul" || op == "bmm") {
      out = add_node("MatMul", name, in);
    } else if (op == "cat") {
      out = add_node("Concat", name, in, [&](onnx::NodeProto* p) {
        attr_int(p, "axis", n.attrs.value("dim", int64_t{0}));
      });
    } else {
      fail(n, "chop has no ONNX form for this op");
    }
    if (cfg && cfg->data_out) out = quantize(n, *cfg->data_out, out, name + "/output_quant");
    value_[n.name] = out;
  }

  // Activations, arithmetic and reductions of onnx_import_math_ops.cpp ("" for other ops).
  std::string emit_math(const Node& n, const std::string& name,
                        const std::vector<std::string>& in) {
    const std::string& op = n.mase_op;
    static const std::map<std::string, std::string> plain = {
        {"selu", "Selu"},   {"hardswish", "HardSwish"},
        {"erf", "Erf"},     {"abs", "Abs"},
        {"neg", "Neg"},     {"exp", "Exp"},
        {"log", "Log"},     {"div", "Div"},
        {"maximum", "Max"}, {"minimum", "Min"}};
    if (auto it = plain.find(op); it != plain.end()) return add_node(it->second, name, in);
    if (op == "elu")
      return add_node("Elu", name, {in[0]}, [&](onnx::NodeProto* p) {
        attr_float(p, "alpha", n.attrs.value("alpha", 1.0));
      });
    if (op == "hardsigmoid")
      return add_node("HardSigmoid", name, {in[0]}, [&](onnx::NodeProto* p) {
        attr_float(p, "alpha", 1.0 / 6.0);
        attr_float(p, "beta", 0.5);
      });
    if (op == "conv_transpose1d" || op == "conv_transpose2d") {
      const size_t d = op == "conv_transpose1d" ? 1 : 2;
      std::vector<std::string> args = {in[0], param(n, "weight", std::nullopt)};
      if (n.param("bias")) args.push_back(param(n, "bias", std::nullopt));
      std::vector<int64_t> pads = ints(n, "padding", d);
      pads.insert(pads.end(), pads.begin(), pads.end());
      return add_node("ConvTranspose", name, args, [&](onnx::NodeProto* p) {
        attr_ints(p, "kernel_shape", ints(n, "kernel_size", d));
        attr_ints(p, "strides", ints(n, "stride", d));
        attr_ints(p, "pads", pads);
        attr_ints(p, "output_padding", ints(n, "output_padding", d));
        attr_ints(p, "dilations", ints(n, "dilation", d));
        attr_int(p, "group", n.attrs.value("groups", int64_t{1}));
      });
    }
    if (op == "upsample") {
      // nn.Upsample's own export: Resize(X, roi = "", scales), asymmetric + floor.
      const size_t d = shape_.at(n.inputs.at(0)).size() - 2;
      std::vector<float> scales{1.0f, 1.0f};
      for (int64_t f : ints(n, "scale_factor", d)) scales.push_back(static_cast<float>(f));
      const std::string s = add_init(name + ".scales", at::tensor(scales, at::kFloat));
      return add_node("Resize", name, {in[0], "", s}, [&](onnx::NodeProto* p) {
        attr_str(p, "mode", "nearest");
        attr_str(p, "coordinate_transformation_mode", "asymmetric");
        attr_str(p, "nearest_mode", "floor");
      });
    }
    if (op == "gelu") {
      // Opset 17 has no Gelu: torch.onnx's form, which chop's importer fuses back into gelu.
      auto c = [&](const char* what, double v) {
        return add_init(name + "." + what, at::full({}, v, at::kFloat));
      };
      const std::string d = add_node("Div", name, {in[0], c("sqrt2", std::sqrt(2.0))});
      const std::string e = add_node("Erf", name + "/Erf", {d});
      const std::string a = add_node("Add", name + "/Add", {e, c("one", 1.0)});
      const std::string m = add_node("Mul", name + "/Mul", {in[0], a});
      return add_node("Mul", name + "/Mul_1", {m, c("half", 0.5)});
    }
    if (op == "softplus") {
      // ONNX's Softplus is log(1 + exp(x)); PyTorch's threshold 20 changes no float32 value.
      if (n.attrs.value("beta", 1.0) != 1.0 || n.attrs.value("threshold", 20.0) != 20.0)
        fail(n, "Softplus with beta != 1 or threshold != 20 has no ONNX form");
      return add_node("Softplus", name, {in[0]});
    }
    if (op == "prelu") {
      // ONNX broadcasts the slope from the right: one per channel is [C, 1, ...] below dim 1.
      const at::Tensor* w = n.param("weight");
      CHOP_ASSERT(w, "node " + n.name + " has no weight");
      std::vector<int64_t> shape{w->numel()};
      const size_t rank = shape_.at(n.inputs.at(0)).size();
      if (w->numel() != 1)
        for (size_t d = 2; d < rank; ++d) shape.push_back(1);
      const std::string slope = add_init(n.target + ".weight", w->reshape(shape).contiguous());
      return add_node("PRelu", name, {in[0], slope});
    }
    if (op == "pow")
      return add_node(
          "Pow", name,
          {in[0], add_init(name + ".exponent",
                           at::full({}, n.attrs.at("exponent").get<double>(), at::kFloat))});
    if (op == "mean" || op == "sum" || op == "amax" || op == "amin") {
      std::vector<int64_t> dims = graph::shapes::reduced_dims(n, shape_.at(n.inputs.at(0)).size());
      const bool keep = n.attrs.value("keepdim", false);
      if (op == "sum")  // opset 13+: ReduceSum's axes are an input
        return add_node("ReduceSum", name,
                        {in[0], add_init(name + ".axes", at::tensor(dims, at::kLong))},
                        [&](onnx::NodeProto* p) { attr_int(p, "keepdims", keep ? 1 : 0); });
      const std::string t = op == "mean" ? "ReduceMean" : op == "amax" ? "ReduceMax" : "ReduceMin";
      return add_node(t, name, {in[0]}, [&](onnx::NodeProto* p) {
        attr_ints(p, "axes", dims);
        attr_int(p, "keepdims", keep ? 1 : 0);
      });
    }
    return "";
  }

  void finish_output(const Node& n) {
    const std::string v = value_.at(n.inputs.at(0));
    // Name the model's output "output": rename the value everywhere it appears.
    for (auto& node : *model_.mutable_graph()->mutable_node()) {
      for (auto& o : *node.mutable_output())
        if (o == v) o = "output";
      for (auto& i : *node.mutable_input())
        if (i == v) i = "output";
    }
    const std::string out =
        v == g_.nodes().front().name ? add_node("Identity", "/output", {v}) : std::string("output");
    if (out != "output")
      for (auto& node : *model_.mutable_graph()->mutable_node())
        for (auto& o : *node.mutable_output())
          if (o == out) o = "output";
    declare(model_.mutable_graph()->add_output(), "output", shape_.at(n.name));
  }

  const graph::Graph& g_;
  OnnxFlavour flavour_;
  onnx::ModelProto model_;
  std::map<std::string, graph::Shape> shape_;
  std::map<std::string, std::string> value_;  // chop node -> ONNX value
  std::set<std::string> node_names_, inits_;
  bool used_qonnx_ = false;
  bool warned_float_ = false;
};

}  // namespace

void export_onnx(const graph::Graph& g, const std::string& path, OnnxFlavour flavour) {
  onnx::ModelProto model = Writer(g, flavour).run();
  onnx_io::check_built_model(model, "export of " + g.model_name());
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw InternalError("export of " + g.model_name() + ": protobuf serialisation failed");
  write_file_atomic(path, bytes);
}

}  // namespace chop::interop
