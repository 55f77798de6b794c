// MAC layers and QONNX data types; see hw_operands.h. MAC counts follow QONNX's
// inference_cost_conv / inference_cost_matmul (src/qonnx/analysis/inference_cost.py), types
// IntQuant.get_output_dtype and infer_mac_result_dtype (custom_op/general/intquant.py,
// transformation/infer_datatypes.py).
#include "passes/analysis/hw_operands.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "graph/verify.h"
#include "quant/integer.h"

namespace chop::passes {
namespace {

OperandType int_type(int width, bool is_signed) {
  OperandType t;
  t.bits = width;
  t.is_float = false;
  t.is_integer = true;
  t.is_signed = is_signed;
  if (width == 1)
    t.name = is_signed ? "BIPOLAR" : "BINARY";
  else
    t.name = (is_signed ? "INT" : "UINT") + std::to_string(width);
  return t;
}

OperandType scaled_int_type(int width) {
  OperandType t;
  t.bits = width;
  t.is_float = false;
  t.name = "SCALEDINT<" + std::to_string(width) + ">";
  return t;
}

int64_t prod(const graph::Shape& s, size_t from = 0) {
  int64_t p = 1;
  for (size_t i = from; i < s.size(); ++i) p *= s[i];
  return p;
}

}  // namespace

OperandType operand_type(const std::optional<quant::OperandQuant>& q) {
  if (!q) return OperandType{};
  switch (q->family) {
    case quant::QuantFamily::kInteger:
      return quant::effective_frac_width(q->width, q->frac_width) == 0
                 ? int_type(q->width, q->is_signed)
                 : scaled_int_type(q->width);
    case quant::QuantFamily::kMinifloatDenorm:
    case quant::QuantFamily::kMinifloatIeee: {
      OperandType t;
      const int e = q->exponent_width, m = q->width - q->exponent_width - 1;
      const int bias = q->exponent_bias ? *q->exponent_bias : (1 << (e - 1)) - 1;
      t.name =
          "FLOAT<" + std::to_string(e) + "," + std::to_string(m) + "," + std::to_string(bias) + ">";
      t.bits = q->width;
      return t;
    }
    case quant::QuantFamily::kBinary:
      return int_type(1, q->bipolar);
    case quant::QuantFamily::kTernary: {
      OperandType t = int_type(2, true);
      t.name = "TERNARY";
      return t;
    }
    default:
      return scaled_int_type(q->width);
  }
}

OperandType mac_result_type(const std::vector<OperandType>& inputs) {
  bool all_int = true, all_scaled = true, any_signed = false;
  for (const auto& t : inputs) {
    all_int = all_int && t.is_integer;
    all_scaled = all_scaled && !t.is_float;
    any_signed = any_signed || t.is_signed;
  }
  if (all_int) return int_type(32, any_signed);
  if (all_scaled) return scaled_int_type(32);
  return OperandType{};
}

std::optional<quant::NodeQuantConfig> node_quant_config(const graph::Node& n) {
  if (!n.quant || !n.quant->config.is_object() || n.quant->config.empty()) return std::nullopt;
  quant::NodeQuantConfig cfg = quant::parse_node_quant_config(
      n.quant->config, n.mase_op, "node " + n.name + " (" + n.mase_op + ")");
  if (!cfg.quantized()) return std::nullopt;
  return cfg;
}

std::string onnx_op_type(const graph::Node& n) {
  static const std::map<std::string, std::string> table = {
      {"conv1d", "Conv"},
      {"conv2d", "Conv"},
      {"batch_norm1d", "BatchNormalization"},
      {"batch_norm2d", "BatchNormalization"},
      {"layer_norm", "LayerNormalization"},
      {"relu", "Relu"},
      {"relu6", "Clip"},
      {"hardtanh", "Clip"},
      {"sigmoid", "Sigmoid"},
      {"elu", "Elu"},
      {"selu", "Selu"},
      {"hardsigmoid", "HardSigmoid"},
      {"hardswish", "HardSwish"},
      {"softplus", "Softplus"},
      {"prelu", "PRelu"},
      {"erf", "Erf"},
      {"gelu", "Gelu"},
      {"abs", "Abs"},
      {"neg", "Neg"},
      {"exp", "Exp"},
      {"log", "Log"},
      {"conv_transpose1d", "ConvTranspose"},
      {"conv_transpose2d", "ConvTranspose"},
      {"upsample", "Resize"},
      {"pow", "Pow"},
      {"log_softmax", "LogSoftmax"},
      {"div", "Div"},
      {"maximum", "Max"},
      {"minimum", "Min"},
      {"mean", "ReduceMean"},
      {"sum", "ReduceSum"},
      {"amax", "ReduceMax"},
      {"amin", "ReduceMin"},
      {"dropout", "Identity"},
      {"max_pool2d", "MaxPool"},
      {"avg_pool2d", "AveragePool"},
      {"adaptive_avg_pool2d", "GlobalAveragePool"},
      {"flatten", "Flatten"},
      {"view", "Reshape"},
      {"add", "Add"},
      {"sub", "Sub"},
      {"mul", "Mul"},
      {"matmul", "MatMul"},
      {"bmm", "MatMul"},
  };
  if (n.op == graph::FxOp::kPlaceholder || n.op == graph::FxOp::kOutput) return "";
  if (n.mase_op == "linear") return "Gemm";
  auto it = table.find(n.mase_op);
  return it == table.end() ? n.mase_op : it->second;
}

bool qonnx_zero_cost(const std::string& op) {
  static const std::set<std::string> zero = {"MaxPool",
                                             "AveragePool",
                                             "Quant",
                                             "QuantizeLinear",
                                             "DequantizeLinear",
                                             "Reshape",
                                             "Concat",
                                             "Transpose",
                                             "Div",
                                             "Mul",
                                             "Add",
                                             "Sub",
                                             "BatchNormalization",
                                             "Relu",
                                             "Elu",
                                             "Selu",
                                             "Sigmoid",
                                             "Identity",
                                             "Flatten",
                                             "Pad",
                                             "Clip",
                                             "Trunc"};
  return zero.count(op) > 0;
}

std::vector<graph::Shape> batch1_shapes(const graph::Graph& g) {
  CHOP_ASSERT(!g.nodes().empty(), "empty graph");
  graph::Shape in = g.nodes().front().attrs.value("shape", graph::Shape{-1});
  in[0] = 1;
  return graph::verify(g, in);
}

at::Tensor effective_weight(const graph::Node& n) {
  const at::Tensor* w = n.param("weight");
  CHOP_ASSERT(w, "node " + n.name + " has no weight");
  at::NoGradGuard no_grad;
  return n.quant && n.quant->weight ? n.quant->weight(w->detach()) : w->detach();
}

std::optional<MacLayer> mac_layer(const graph::Graph& g, size_t index,
                                  const std::vector<graph::Shape>& shapes) {
  const graph::Node& n = g.nodes()[index];
  const std::string& op = n.mase_op;
  if (op != "linear" && op != "conv1d" && op != "conv2d" && op != "matmul" && op != "bmm")
    return std::nullopt;
  size_t producer = 0;
  for (size_t i = 0; i < index; ++i)
    if (g.nodes()[i].name == n.inputs.at(0)) producer = i;
  const graph::Shape& in = shapes[producer];
  const graph::Shape& out = shapes[index];
  MacLayer m;
  const auto cfg = node_quant_config(n);
  if (cfg) {
    m.input = operand_type(cfg->data_in);
    m.weight = operand_type(cfg->weight);
  }
  m.out_elems = prod(out);
  if (op == "matmul" || op == "bmm") {
    m.onnx_op = "MatMul";
    m.macs = static_cast<double>(in.back() * prod(out));
    m.n_in = in.back();
    m.n_out = out.back();
  } else {
    const at::Tensor w = effective_weight(n);
    m.weight_elems = w.numel();
    m.zero_weights = (w == 0).sum().item<int64_t>();
    if (n.param("bias")) m.bias = cfg ? operand_type(cfg->bias) : OperandType{};
    if (op == "linear") {
      m.onnx_op = in.size() == 2 ? "Gemm" : "MatMul";
      m.macs = static_cast<double>(in.back() * prod(out));
      m.n_in = in.back();
      m.n_out = out.back();
    } else {
      // QONNX: bsize * (ofm_ch // group) * ifm_ch * k_prod * ofm_pix_total (bsize = 1).
      m.onnx_op = "Conv";
      const int64_t group = n.attrs.value("groups", int64_t{1});
      const int64_t k_prod = prod(graph::Shape(w.sizes().begin() + 2, w.sizes().end()));
      m.macs = static_cast<double>((out[1] / group) * in[1] * k_prod * prod(out, 2));
      m.n_in = in[1] * k_prod;
      m.n_out = out[1];
    }
  }
  std::vector<OperandType> types = {m.input, m.weight};
  if (m.bias && m.onnx_op != "MatMul") types.push_back(*m.bias);
  m.output = mac_result_type(types);
  return m;
}

MacCost mac_cost(const MacLayer& m, bool discount_sparsity) {
  MacCost c;
  c.mac_key = "op_mac_" + m.input.name + "_" + m.weight.name;
  c.mem_w_key = "mem_w_" + m.weight.name;
  c.mem_o_key = "mem_o_" + m.output.name;
  const double density = discount_sparsity && m.weight_elems ? m.density() : 1.0;
  c.macs = m.macs * density;
  c.mem_w_elems = static_cast<double>(m.weight_elems) * density;
  c.mem_o_elems = static_cast<double>(m.out_elems);
  c.bops = static_cast<double>(m.input.bits) * m.weight.bits * c.macs;
  c.mem_w_bits = static_cast<double>(m.weight.bits) * c.mem_w_elems;
  c.mem_o_bits = static_cast<double>(m.output.bits) * c.mem_o_elems;
  return c;
}

std::string figure(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15)
    return with_thousands(static_cast<int64_t>(v));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();  // 2148.5000 -> 2148.5
  if (s.back() == '.') s.pop_back();
  // Thousands separators on the integer part keep large estimates readable.
  const size_t dot = std::min(s.find('.'), s.size());
  const std::string int_part = s.substr(0, dot);
  if (int_part.size() > 3 && int_part != "-0")
    s = with_thousands(std::stoll(int_part)) + s.substr(dot);
  return s;
}

}  // namespace chop::passes
