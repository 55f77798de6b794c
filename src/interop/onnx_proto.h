// interop-internal (never included outside src/interop): reading and writing ONNX protobuf
// models with Debian's libonnx — file checks, the checker, tensors <-> LibTorch, attributes.
#pragma once

#include <ATen/ATen.h>
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace chop::interop::onnx_io {

/// Parses and checks `path` (onnx::checker, external data refused). DataError naming the file:
/// missing, not protobuf (truncated/corrupt), or rejected by the checker (with its message).
onnx::ModelProto read_model(const std::string& path);

/// Checks a model built in memory (exports) with onnx::checker; InternalError on failure.
void check_built_model(const onnx::ModelProto& model, const std::string& what);

/// The default-domain ("" / "ai.onnx") opset version; 0 when absent.
int64_t default_opset(const onnx::ModelProto& model);

/// A TensorProto as a CPU tensor (float32 for floating types, int64 for integer ones, bool).
/// DataError/UserError text names `where` (the initializer or node) on a malformed tensor.
at::Tensor to_tensor(const onnx::TensorProto& t, const std::string& where);
/// Fills `out` with `t` (float32 -> FLOAT, int64 -> INT64, int8 -> INT8, uint8 -> UINT8), raw.
void from_tensor(const at::Tensor& t, const std::string& name, onnx::TensorProto* out);

/// Attribute access by name (null when absent).
const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name);

/// "Gemm" or "qonnx.custom_op.general:Quant" for messages.
std::string op_label(const onnx::NodeProto& n);

}  // namespace chop::interop::onnx_io
