// What the hardware-cost passes (inference_cost, resources, ebops) share: each multiply-
// accumulate layer per inference (batch 1) with its operands' QONNX data types, as QONNX's
// InferDataTypes names them, and the ONNX op every node exports to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/ops.h"
#include "passes/pass.h"
#include "quant/config.h"

namespace chop::passes {

/// A QONNX DataType (qonnx/core/datatype.py): canonical name and bit width.
struct OperandType {
  std::string name = "FLOAT32";  // "FLOAT32", "INT8", "UINT4", "SCALEDINT<8>", "BIPOLAR", ...
  int bits = 32;
  bool is_float = true;     // FLOAT32 / FLOAT<e,m,b>
  bool is_integer = false;  // QONNX is_integer(): INT/UINT/BINARY/BIPOLAR/TERNARY
  bool is_signed = true;
};

/// The type QONNX gives a tensor quantized by `q` (nullopt: FLOAT32). Integer with frac 0 is
/// INT<w>/UINT<w> (BIPOLAR/BINARY at 1 bit), otherwise SCALEDINT<w> (IntQuant with a scale);
/// minifloat is FLOAT<e,m,bias>; binary BIPOLAR/BINARY; ternary TERNARY. chop's log and block
/// families have no QONNX type: they count as SCALEDINT<width> (an integer datapath of their
/// width).
OperandType operand_type(const std::optional<quant::OperandQuant>& q);

/// QONNX's infer_mac_result_dtype over a MAC node's inputs (input, weight and bias):
/// INT32/UINT32 if all are integers, SCALEDINT<32> if all are integer-like, else FLOAT32.
OperandType mac_result_type(const std::vector<OperandType>& inputs);

/// The node's parsed quantization config, or nullopt when it is not quantized.
std::optional<quant::NodeQuantConfig> node_quant_config(const graph::Node& n);

/// The ONNX op type the node exports to ("Gemm", "Conv", "BatchNormalization", "Relu", ...).
std::string onnx_op_type(const graph::Node& n);
/// True for the ops QONNX's inference_cost lists as zero-cost (zero_cost_ops).
bool qonnx_zero_cost(const std::string& onnx_op);

/// One multiply-accumulate layer (linear, conv1d, conv2d, matmul, bmm) for one inference.
struct MacLayer {
  std::string onnx_op;  // Gemm, MatMul or Conv
  OperandType input, weight, output;
  std::optional<OperandType> bias;
  double macs = 0;           // QONNX's n_macs at batch size 1 (dense)
  int64_t weight_elems = 0;  // constant weights (0 for matmul/bmm of two activations)
  int64_t zero_weights = 0;  // weights whose quantized value is 0
  int64_t out_elems = 0;
  double density() const {
    // QONNX's get_node_weight_density: count_nonzero / total.
    return weight_elems ? static_cast<double>(weight_elems - zero_weights) /
                              static_cast<double>(weight_elems)
                        : 1.0;
  }
  int64_t n_in = 0, n_out = 0;  // hls4ml's get_layer_mult_size (reuse-factor rules)
};

/// QONNX's per-node inference cost of a MAC layer (inference_cost_conv/_matmul, then
/// util/inference_cost.py's compute_bops_and_macs / compute_mem_bits_and_elems): with
/// discount_sparsity, MACs and weight memory are scaled by the weights' density.
struct MacCost {
  std::string mac_key;    // "op_mac_<input>_<weight>"
  std::string mem_w_key;  // "mem_w_<weight>"
  std::string mem_o_key;  // "mem_o_<output>"
  double macs = 0;
  double mem_w_elems = 0;
  double mem_o_elems = 0;
  double bops = 0;        // input bits x weight bits x macs
  double mem_w_bits = 0;  // weight bits x mem_w_elems
  double mem_o_bits = 0;
};
MacCost mac_cost(const MacLayer& m, bool discount_sparsity);

/// Output shape of every node (graph order) for one sample (batch dimension 1).
std::vector<graph::Shape> batch1_shapes(const graph::Graph& g);

/// The MAC layer of node `index` (nullopt for other ops).
std::optional<MacLayer> mac_layer(const graph::Graph& g, size_t index,
                                  const std::vector<graph::Shape>& shapes);

/// The weight as the float path multiplies with it (quantized when the node quantizes it).
at::Tensor effective_weight(const graph::Node& n);

/// Formats a figure for report tables: integers with thousands separators, others with 4
/// significant decimals.
std::string figure(double v);

}  // namespace chop::passes
