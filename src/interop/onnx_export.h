// ONNX export of a chop graph in three flavours: a float model (names and parameters as in
// chop's graph), QONNX (Quant / BipolarQuant nodes exactly where chop quantizes, for hls4ml
// and FINN) and QDQ (QuantizeLinear / DequantizeLinear for widths <= 8, for ONNX Runtime).
#pragma once

#include <string>

#include "graph/graph.h"

namespace chop::interop {

enum class OnnxFlavour { kFloat, kQonnx, kQdq };

/// Writes `g` to `path` (atomically) after checking it with onnx::checker. UserError naming the
/// node for what the flavour cannot express (a minifloat node in QONNX, 12 bits in QDQ, an op
/// without an ONNX form).
void export_onnx(const graph::Graph& g, const std::string& path, OnnxFlavour flavour);

}  // namespace chop::interop
