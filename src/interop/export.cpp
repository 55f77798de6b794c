// The export format table; see export.h.
#include "interop/export.h"

#include "core/error.h"
#include "core/strings.h"
#include "interop/onnx_export.h"
#include "interop/torch_file.h"

namespace chop::interop {
namespace {

void write_onnx(const graph::Graph& g, const std::string& path) {
  export_onnx(g, path, OnnxFlavour::kFloat);
}
void write_qonnx(const graph::Graph& g, const std::string& path) {
  export_onnx(g, path, OnnxFlavour::kQonnx);
}
void write_qdq(const graph::Graph& g, const std::string& path) {
  export_onnx(g, path, OnnxFlavour::kQdq);
}

}  // namespace

const std::vector<ExportFormat>& export_formats() {
  static const std::vector<ExportFormat> table = {
      {"onnx", ".onnx", "float model: chop's ops, node names and parameters (opset 17)",
       "ONNX Runtime, Netron, torch/TensorFlow converters, chop", write_onnx},
      {"qonnx", ".onnx",
       "QONNX: Quant nodes (power-of-two scale, zero point 0, ROUND) / BipolarQuant exactly "
       "where chop quantizes",
       "hls4ml, FINN, the qonnx tools, chop", write_qonnx},
      {"qdq", ".onnx",
       "QuantizeLinear/DequantizeLinear pairs (int8/uint8; narrower widths clipped) for "
       "integer quantizers of at most 8 bits",
       "ONNX Runtime (QDQ format), TensorRT, chop", write_qdq},
      {"state_dict", ".pt", "PyTorch state dict (parameter and buffer names as in chop's graph)",
       "torch.load / model.load_state_dict in PyTorch, chop --load", save_torch_state_dict},
  };
  return table;
}

const ExportFormat& export_format(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& f : export_formats()) {
    if (f.name == name) return f;
    names.push_back(f.name);
  }
  throw UserError("unknown export format '" + name + "'" + did_you_mean(name, names) +
                  "; expected one of " + list_of(names));
}

void export_model(const graph::Graph& g, const std::string& format, const std::string& path) {
  export_format(format).write(g, path);
}

}  // namespace chop::interop
