// QONNX import: Quant / IntQuant (power-of-two scale, zero point 0, round half to even) and
// BipolarQuant (scale 1) become chop's integer / binary quantizer configs on the nodes they
// feed — weights and biases of linear/conv, inputs of quantizable ops, or a linear/conv2d's
// output — so a Brevitas or QKeras model keeps its precisions.
#include <cctype>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "interop/onnx_import_internal.h"
#include "quant/config.h"

namespace chop::interop::onnx_import {
namespace {

using graph::Json;
using Kind = Value::Kind;

Value quantized(ConvertContext& ctx, QuantSpec spec) {
  Value v = ctx.input(0);
  if (v.kind == Kind::kShape) ctx.fail("quantizes a shape vector");
  if (v.quant)
    ctx.fail("quantizes a tensor that " + v.quant->onnx_node +
             " already quantized; chop keeps one quantizer per tensor");
  spec.onnx_node = ctx.node.name();
  v.quant = spec;
  return v;
}

}  // namespace

// scale = 2^-f for one f across all entries (per-tensor, or per-channel with equal scales).
int power_of_two_frac(const ConvertContext& ctx, const at::Tensor& scale_t) {
  at::Tensor s = scale_t.to(at::kDouble).reshape({-1}).contiguous();
  if (s.numel() == 0) ctx.fail("scale is empty");
  const double first = s.data_ptr<double>()[0];
  for (int64_t i = 0; i < s.numel(); ++i)
    if (s.data_ptr<double>()[i] != first)
      ctx.fail(
          "per-channel scales that differ are not supported; chop's integer quantizer "
          "uses one power-of-two scale per tensor");
  int exp = 0;
  const double mant = std::frexp(first, &exp);
  if (!(first > 0) || mant != 0.5)
    ctx.fail("scale " + format_double(first) +
             " is not a power of two; chop's integer quantizer is fixed-point (scale "
             "2^-frac_width). Export with power-of-two scales (Brevitas *FixedPoint quantizers, "
             "QKeras quantized_bits)");
  return 1 - exp;  // first = 2^(exp-1) = 2^-f
}

namespace {

void convert_quant(ConvertContext& ctx) {
  ctx.allow_attrs({"signed", "narrow", "rounding_mode"});
  std::string rounding = ctx.attr_str("rounding_mode", "ROUND");
  for (char& c : rounding) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (rounding != "ROUND" && rounding != "HALF_EVEN")
    ctx.fail("rounding_mode = " + rounding +
             " is not supported; chop rounds half to even (QONNX's ROUND)");
  QuantSpec q;
  q.family = "integer";
  q.frac_width = power_of_two_frac(ctx, ctx.const_input(1, "scale"));
  at::Tensor zp = ctx.const_input(2, "zero point").to(at::kDouble);
  if (zp.numel() == 0 || zp.abs().max().item<double>() != 0.0)
    ctx.fail(
        "a non-zero zero point is not supported; chop's integer quantizer is symmetric "
        "(zero point 0)");
  const double bits = ctx.const_scalar(3, "bit width");
  if (bits != std::floor(bits) || bits < 1 || bits > 32)
    ctx.fail("bit width " + format_double(bits) +
             " is not supported; chop takes whole widths "
             "from 1 to 32");
  q.width = static_cast<int>(bits);
  q.is_signed = ctx.attr_int("signed", 1) != 0;
  q.narrow = ctx.attr_int("narrow", 0) != 0;
  ctx.set_output(0, quantized(ctx, q));
}

void convert_bipolar_quant(ConvertContext& ctx) {
  ctx.allow_attrs({});
  at::Tensor s = ctx.const_input(1, "scale").to(at::kDouble);
  if (s.numel() == 0 || (s - 1.0).abs().max().item<double>() != 0.0)
    ctx.fail("scale other than 1 is not supported; chop's binary quantizer gives -1 / +1");
  QuantSpec q;
  q.family = "binary";
  q.width = 1;
  ctx.set_output(0, quantized(ctx, q));
}

// Which operand groups chop's config needs per op (quant/config.cpp) and which it can hold.
bool has_data_out(const std::string& op) {
  return op == "linear" || op == "conv2d";
}
bool has_weight(const std::string& op) {
  return op == "linear" || op == "conv1d" || op == "conv2d";
}
bool needs_weight(const std::string& op) {
  return has_weight(op) || op == "matmul" || op == "bmm";
}

void put_operand(Json& cfg, const std::string& group, const QuantSpec& q,
                 const std::string& mase_op) {
  cfg[group + "_width"] = q.width;
  if (q.family == "binary") {
    cfg[group + "_stochastic"] = false;
    cfg[group + "_bipolar"] = true;
    return;
  }
  cfg[group + "_frac_width"] = q.frac_width;
  const bool default_signed = !(mase_op == "relu" && group == "data_in");
  if (q.is_signed != default_signed) cfg[group + "_signed"] = q.is_signed;
  if (q.narrow) cfg[group + "_narrow"] = true;
}

}  // namespace

void resolve_quantizers(std::vector<PendingNode>& nodes,
                        const std::optional<QuantSpec>& output_quant, int output_producer,
                        const std::string& path) {
  auto fail = [&](const std::string& msg) { throw UserError(path + ": " + msg); };
  auto label = [&](int i) {
    return i < 0 ? std::string("the model input")
                 : "ONNX node '" + nodes[static_cast<size_t>(i)].onnx_name + "' (" +
                       nodes[static_cast<size_t>(i)].node.mase_op + ")";
  };
  // An activation quantizer read by an op chop does not quantize moves to its producer's output.
  auto to_producer = [&](int producer, const QuantSpec& q, const std::string& reader) {
    if (producer < 0 || !has_data_out(nodes[static_cast<size_t>(producer)].node.mase_op))
      fail("Quant node '" + q.onnx_node + "' quantizes the output of " + label(producer) + " for " +
           reader +
           "; chop quantizes activations at the input of linear, conv, relu, "
           "add, sub, mul or matmul nodes, or at the output of a linear/conv2d node");
    PendingNode& p = nodes[static_cast<size_t>(producer)];
    if (p.out_quant && !p.out_quant->same_as(q))
      fail(label(producer) + "'s output is quantized twice differently (" +
           p.out_quant->describe() + " by " + p.out_quant->onnx_node + ", " + q.describe() +
           " by " + q.onnx_node + ")");
    p.out_quant = q;
  };
  std::vector<std::optional<QuantSpec>> data_in(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    PendingNode& p = nodes[i];
    if (p.dead) continue;
    const bool quantizable = quant::is_quantizable_op(p.node.mase_op);
    bool any = false, all = true;  // over activation inputs (constants do not count)
    for (size_t k = 0; k < p.inputs.size(); ++k) {
      const auto& q = p.input_quant[k];
      if (!q) {
        const int src = p.inputs[k];
        if (src < 0 || nodes[static_cast<size_t>(src)].node.mase_op != "constant") all = false;
        continue;
      }
      any = true;
      if (!quantizable) {
        to_producer(p.inputs[k], *q, label(static_cast<int>(i)));
        continue;
      }
      if (data_in[i] && !data_in[i]->same_as(*q))
        fail(label(static_cast<int>(i)) + " reads inputs quantized differently (" +
             data_in[i]->describe() + ", " + q->describe() +
             "); chop applies one data_in quantizer to all of a node's inputs");
      data_in[i] = q;
    }
    if (quantizable && any && !all)
      fail(label(static_cast<int>(i)) +
           " reads one quantized and one float input; chop applies "
           "one data_in quantizer to all of a node's inputs");
  }
  if (output_quant) to_producer(output_producer, *output_quant, "the graph output");

  // A producer whose output is quantized must not also be read un-quantized.
  for (size_t i = 0; i < nodes.size(); ++i)
    for (size_t k = 0; k < nodes[i].inputs.size() && !nodes[i].dead; ++k) {
      const int src = nodes[i].inputs[k];
      if (src >= 0 && nodes[static_cast<size_t>(src)].out_quant && !nodes[i].input_quant[k])
        fail(label(src) + "'s output is read through Quant node '" +
             nodes[static_cast<size_t>(src)].out_quant->onnx_node + "' and also directly by " +
             label(static_cast<int>(i)) + "; chop quantizes a node's output for all its readers");
    }

  for (size_t i = 0; i < nodes.size(); ++i) {
    PendingNode& p = nodes[i];
    const std::string& op = p.node.mase_op;
    if (p.dead) continue;
    if (!data_in[i] && !p.weight_quant && !p.bias_quant && !p.out_quant) continue;
    std::vector<std::pair<std::string, const QuantSpec*>> groups;
    if (data_in[i]) groups.emplace_back("data_in", &*data_in[i]);
    if (p.weight_quant) groups.emplace_back("weight", &*p.weight_quant);
    if (p.bias_quant) groups.emplace_back("bias", &*p.bias_quant);
    if (p.out_quant) groups.emplace_back("data_out", &*p.out_quant);
    if ((p.weight_quant || p.bias_quant) && !has_weight(op))
      fail("Quant node '" + (p.weight_quant ? p.weight_quant : p.bias_quant)->onnx_node +
           "' quantizes a parameter of " + label(static_cast<int>(i)) +
           "; chop quantizes the weights and biases of linear and conv layers");
    const std::string family = groups.front().second->family;
    for (const auto& [g, q] : groups)
      if (q->family != family)
        fail(label(static_cast<int>(i)) + " mixes " + family + " and " + q->family +
             " quantizers (" + q->onnx_node + "); chop uses one quantization family per node");
    Json cfg{{"name", family}};
    for (const auto& [g, q] : groups) put_operand(cfg, g, *q, op);
    if (!data_in[i]) cfg["data_in_bypass"] = true;
    if (needs_weight(op) && !p.weight_quant) cfg["weight_bypass"] = true;
    // Validate with the same parser the quantize pass uses.
    try {
      quant::parse_node_quant_config(cfg, op, label(static_cast<int>(i)));
    } catch (const ConfigError& e) {
      fail(std::string("cannot express the QONNX quantizers: ") + e.what());
    }
    p.node.quant = std::make_shared<graph::NodeQuant>();
    p.node.quant->config = cfg;
  }
}

const std::vector<OnnxOpRow>& qonnx_op_table() {
  static const std::vector<OnnxOpRow> table = {
      {"Quant", "integer quantizer (power-of-two scale, zero point 0, ROUND) on the operand",
       convert_quant},
      {"IntQuant", "as Quant (newer QONNX name)", convert_quant},
      {"BipolarQuant", "binary quantizer (bipolar, scale 1) on the operand", convert_bipolar_quant},
  };
  return table;
}

}  // namespace chop::interop::onnx_import
