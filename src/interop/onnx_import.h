// ONNX / QONNX import: an .onnx file becomes a chop graph with torch.fx-style names recovered
// from the exporter's module paths and initializer names, pretrained parameters, BatchNorm
// statistics, and QONNX Quant/BipolarQuant nodes turned into chop quantizer configs.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace chop::interop {

/// True when `model` names an ONNX file (ends in .onnx, any case) rather than a zoo model.
bool is_onnx_path(const std::string& model);

/// Imports `path`. The graph is named after the file's stem; its placeholder shape is the
/// ONNX input's with the batch as -1; QONNX quantizers are attached (ready to run). Errors:
/// DataError (missing, truncated, corrupt, checker-rejected file), UserError naming the ONNX
/// node, its op type and the opset for an unsupported op, attribute or dynamic shape.
graph::Graph import_onnx(const std::string& path);

/// One row per ONNX op chop imports, for `chop list onnx-ops` and docs/interop.md.
struct OnnxOpInfo {
  std::string domain;  // "" (ai.onnx) or "qonnx.custom_op.general"
  std::string op_type;
  std::string summary;
};
std::vector<OnnxOpInfo> supported_onnx_ops();

}  // namespace chop::interop
