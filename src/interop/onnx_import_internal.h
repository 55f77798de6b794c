// interop-internal: the ONNX importer's working state — values (activations, constants, shape
// vectors), pending chop nodes, and the context each op converter sees. Converters live in
// onnx_import_ops.cpp (standard ops) and qonnx_import.cpp (QONNX Quant nodes).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/ops.h"
#include "interop/onnx_proto.h"

namespace chop::interop::onnx_import {

/// The batch size inside a shape vector (Shape(x) of an input with a batch dimension).
constexpr int64_t kBatch = INT64_MIN;

/// A QONNX quantizer on one tensor: integer (Quant/IntQuant) or bipolar binary (BipolarQuant).
struct QuantSpec {
  std::string family;  // "integer" or "binary"
  int width = 0;
  int frac_width = 0;  // scale = 2^-frac_width
  bool is_signed = true;
  bool narrow = false;
  std::string onnx_node;  // the Quant node, for messages
  bool same_as(const QuantSpec& o) const {
    return family == o.family && width == o.width && frac_width == o.frac_width &&
           is_signed == o.is_signed && narrow == o.narrow;
  }
  std::string describe() const;
};

struct Value {
  enum class Kind { kActivation, kConstant, kShape };
  Kind kind = Kind::kActivation;
  int producer = -1;               // activation: pending node index, -1 for the graph input
  graph::Shape shape;              // activation: dim 0 is the batch (-1)
  at::Tensor constant;             // constant (CPU; float32, int64 or bool)
  std::vector<int64_t> dims;       // shape vector; kBatch marks the batch size
  std::optional<QuantSpec> quant;  // the value passed through a QONNX quantizer
  std::vector<int64_t> pad;        // activation: zero padding per spatial dimension (both sides)
                                   // that a following Conv/AveragePool absorbs
  int onnx_dtype = 0;              // constant: the ONNX data type it was stored with
  std::optional<std::pair<double, double>> clip;  // constant: folded from Clip(min, max)
  std::optional<QuantSpec> codes;  // QuantizeLinear's output: integer codes of this value
};

struct PendingNode {
  graph::Node node;           // mase_op, mase_type, fx op, attrs, params, buffers
  std::vector<int> inputs;    // pending node indices; -1 = the graph input
  std::string scope;          // module path from the ONNX node name ("block.0"), or ""
  std::string explicit_name;  // a chop-style node name carried by the ONNX name
  std::string param_prefix;   // "fc1" from initializer "fc1.weight"
  std::string onnx_name, onnx_op;
  graph::Shape out_shape;                             // dim 0 is the batch (-1)
  std::vector<std::optional<QuantSpec>> input_quant;  // per input
  std::optional<QuantSpec> weight_quant, bias_quant, out_quant;
  bool dead = false;  // folded into a later node (a Clip that is a QDQ pair's range)
  double clip_min = 0, clip_max = 0;  // hardtanh made from a Clip: its bounds
  std::string source_value;           // ... and the ONNX value it clips
};

class Importer;

/// What an op converter sees: the ONNX node, its inputs as values, attribute helpers, and
/// emit() to append chop nodes. Every problem is reported with fail(), which names the node,
/// its op type and the opset.
class ConvertContext {
 public:
  ConvertContext(Importer& imp, const onnx::NodeProto& node, int64_t opset)
      : imp_(imp), node(node), opset(opset) {}

  Importer& imp_;
  const onnx::NodeProto& node;
  const int64_t opset;

  [[noreturn]] void fail(const std::string& msg) const;

  // Inputs ("" inputs are absent).
  bool has_input(size_t i) const;
  const Value& input(size_t i) const;
  bool is_const(size_t i) const;
  /// The constant input `i`; fails naming `what` when it is computed at run time.
  at::Tensor const_input(size_t i, const std::string& what) const;
  /// A constant input read as integers / one float.
  std::vector<int64_t> const_ints(size_t i, const std::string& what) const;
  double const_scalar(size_t i, const std::string& what) const;
  /// The activation input `i` (a constant one fails naming `what`).
  const Value& activation(size_t i, const std::string& what) const;
  /// Any value by ONNX name (null when not known yet).
  const Value* find_value(const std::string& name) const;
  /// Initializer name behind input `i` ("" when it is computed); for parameter names.
  std::string initializer_name(size_t i) const;

  // Attributes. allow_attrs() fails on any attribute outside the list.
  void allow_attrs(std::initializer_list<const char*> names) const;
  bool has_attr(const std::string& name) const;
  int64_t attr_int(const std::string& name, int64_t def) const;
  std::vector<int64_t> attr_ints(const std::string& name, std::vector<int64_t> def) const;
  double attr_float(const std::string& name, double def) const;
  std::string attr_str(const std::string& name, const std::string& def) const;

  /// Fails when output `i` or any later output of this node is read by another node or is a
  /// graph output (e.g. BatchNormalization's running statistics, MaxPool's indices).
  void require_unused_outputs_from(size_t i) const;
  /// The nodes reading output `i` (graph outputs excluded).
  std::vector<const onnx::NodeProto*> consumers(size_t i) const;
  bool is_graph_output(size_t i) const;
  /// Readers of any ONNX value, and whether it is a graph output.
  std::vector<const onnx::NodeProto*> consumers_of(const std::string& value) const;
  bool is_graph_value(const std::string& value) const;
  /// The node writing ONNX value `value` (null for the input and initializers).
  const onnx::NodeProto* producer_of(const std::string& value) const;
  /// Marks `other` as handled here (fused); its output 0 becomes `v`.
  void absorb(const onnx::NodeProto& other, const Value& v);

  /// Appends a chop node reading `inputs` (activations; constants become constant nodes) and
  /// returns its index. Quantizers the inputs carry are recorded on it.
  int emit(const std::string& mase_op, const std::vector<const Value*>& inputs, graph::Json attrs,
           graph::NamedTensors params = {}, graph::NamedTensors buffers = {});
  PendingNode& pending(int index);
  /// The activation value produced by pending node `index`.
  Value output_of(int index) const;
  void set_output(size_t i, Value v);
};

/// The importer's state over one file: the model, every ONNX value seen so far, the chop nodes
/// pending, and who reads what. run() reads, converts and assembles (onnx_import.cpp).
class Importer {
 public:
  explicit Importer(std::string path) : path_(std::move(path)) {}
  graph::Graph run();

  std::string path_;
  onnx::ModelProto model_;
  int64_t opset_ = 0;
  std::map<std::string, Value> values_;
  std::set<std::string> initializers_;
  std::vector<PendingNode> nodes_;
  std::map<std::string, std::vector<const onnx::NodeProto*>> consumers_;
  std::set<std::string> graph_outputs_;
  std::set<const onnx::NodeProto*> absorbed_;
  std::string input_name_;
  graph::Shape input_shape_;  // [-1, ...]

  std::string where(const onnx::NodeProto& n) const;

 private:
  void read_inputs();
  void convert_nodes();
  void convert_node(ConvertContext& ctx);
  graph::Graph assemble(int output_producer);
};

using Converter = void (*)(ConvertContext&);

struct OnnxOpRow {
  std::string op_type;
  std::string summary;  // what chop makes of it (docs/interop.md, `chop list onnx-ops`)
  Converter convert;
};

// Shared by the converters (onnx_import_ops.cpp).
/// ONNX's float32 attribute as the shortest decimal that is the same float32 (1e-05).
double tidy_float(double v);
/// `initializer` without `suffix` ("block.0.weight", ".weight" -> "block.0"); "" if no match.
std::string prefix_of(const std::string& initializer, const std::string& suffix);
at::Tensor as_float(const at::Tensor& t);
/// The op's output 0 is node `index`'s output.
void set_out(ConvertContext& ctx, int index);
/// An elementwise op with one activation input and no parameters: chop op `mase_op`.
void emit_unary(ConvertContext& ctx, const std::string& mase_op,
                graph::Json attrs = graph::Json::object());
/// Relu, Sigmoid, Tanh, HardSwish, Softplus, Erf, Abs, Neg, Exp, Log: attribute-free, one
/// activation input, and the chop op is the op type in lower case.
void convert_plain_unary(ConvertContext& ctx);

// Layers with parameters (onnx_import_layer_ops.cpp).
void convert_gemm(ConvertContext& ctx);
void convert_matmul(ConvertContext& ctx);
void convert_conv(ConvertContext& ctx);
void convert_batch_norm(ConvertContext& ctx);
void convert_pool(ConvertContext& ctx);
void convert_pad(ConvertContext& ctx);
void convert_global_avg_pool(ConvertContext& ctx);
void convert_conv_transpose(ConvertContext& ctx);
void convert_resize(ConvertContext& ctx);

// Activations, arithmetic and reductions (onnx_import_math_ops.cpp).
void convert_div(ConvertContext& ctx);
void convert_elu(ConvertContext& ctx);
void convert_selu(ConvertContext& ctx);
void convert_hard_sigmoid(ConvertContext& ctx);
void convert_prelu(ConvertContext& ctx);
void convert_pow(ConvertContext& ctx);
void convert_sum(ConvertContext& ctx);
void convert_max(ConvertContext& ctx);
void convert_min(ConvertContext& ctx);
void convert_reduce(ConvertContext& ctx);

/// Standard ONNX ops (domain "" / ai.onnx).
const std::vector<OnnxOpRow>& standard_op_table();
/// QONNX ops (domains qonnx.custom_op.general, onnx.brevitas, finn.custom_op.general).
const std::vector<OnnxOpRow>& qonnx_op_table();
bool is_qonnx_domain(const std::string& domain);

/// ONNX Runtime's QDQ format: QuantizeLinear / DequantizeLinear pairs (an optional Clip before
/// QuantizeLinear narrows the range) become integer quantizers (qdq_import.cpp).
void convert_quantize_linear(ConvertContext& ctx);
void convert_dequantize_linear(ConvertContext& ctx);

/// f for a scale of 2^-f (one value, or per-channel values that are all equal); fails naming
/// the node otherwise (chop's integer quantizer is fixed-point).
int power_of_two_frac(const ConvertContext& ctx, const at::Tensor& scale);

/// The ONNX element type of initializer/constant input `i` (0 when computed).
int onnx_dtype_of(const ConvertContext& ctx, size_t i);

/// Constant folding: true when `node` was evaluated at import (all inputs constant or shape
/// vectors); its outputs are then set. Fails on shape arithmetic chop cannot follow.
bool fold_constant(ConvertContext& ctx);

/// Builds every pending node's quantization config from the QONNX quantizers recorded on it
/// (data_in/weight/bias/data_out) and checks chop can express them (quantizable op, one family).
/// `output_quant` is a quantizer on the graph output (read from pending node `output_producer`).
void resolve_quantizers(std::vector<PendingNode>& nodes,
                        const std::optional<QuantSpec>& output_quant, int output_producer,
                        const std::string& path);

/// Module path from an exporter's node name: "/block/block.0/Gemm" -> "block.0",
/// "/layers.0/fc/Gemm" -> "layers.0.fc", "model/dense/MatMul" -> "model.dense"; "" when none.
std::string module_path(const std::string& onnx_node_name);
/// The name chop wrote into an export ("/add_1" -> "add_1"); "" for exporter names ("/Add_1").
std::string explicit_fx_name(const std::string& onnx_node_name, const std::string& op_type);

}  // namespace chop::interop::onnx_import
