// The export format registry (`chop export --format`, `chop search --export-best`): one row per
// format with what reads it; each writes a chop graph to a file.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace chop::interop {

struct ExportFormat {
  std::string name;       // "onnx", "qonnx", "qdq", "state_dict"
  std::string extension;  // ".onnx", ".pt"
  std::string summary;
  std::string readers;  // who reads it (docs, `chop list export-formats`)
  void (*write)(const graph::Graph& g, const std::string& path);
};

const std::vector<ExportFormat>& export_formats();
/// UserError listing the formats for an unknown name.
const ExportFormat& export_format(const std::string& name);

/// Writes `g` to `path` in `format` (atomically; folders created).
void export_model(const graph::Graph& g, const std::string& format, const std::string& path);

}  // namespace chop::interop
