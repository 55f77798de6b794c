// chop's checkpoint file (format documented in docs/checkpoints.md): one self-checking file with
// a format version, the model name, the graph text (quantization configs included), metadata,
// and every parameter and buffer under its PyTorch state-dict name.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>
#include <string>

#include "graph/graph.h"

namespace chop::checkpoint {

constexpr int kCheckpointFormatVersion = 1;

/// What a checkpoint holds besides the tensors.
struct CheckpointInfo {
  int format_version = kCheckpointFormatVersion;
  std::string model;       // graph model name ("jsc-s")
  std::string graph_text;  // graph::print_graph of the saved graph
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();  // epoch, losses, data set, ...
};

/// Writes `g`'s state dict, graph text and `meta` to `path` atomically (temporary + rename);
/// creates missing folders. The bytes depend only on the graph and `meta` (no timestamps).
void save_checkpoint(const graph::Graph& g, const std::string& path,
                     const nlohmann::ordered_json& meta = nlohmann::ordered_json::object());

/// Header only (no tensor data decoded). DataError naming the file when it is missing, not a
/// chop checkpoint, of a newer format version, truncated or corrupt (checksum mismatch).
CheckpointInfo read_checkpoint_info(const std::string& path);

/// Rebuilds the saved graph (structure from its text, values from the tensors). Quantization
/// configs are restored in Node::quant->config; quantizer functions must be rebuilt with the
/// quantize layer (quant::attach_quantizers) before running a quantized graph.
graph::Graph load_checkpoint(const std::string& path);

/// Copies the checkpoint's tensors into `g` (values only; `g` keeps its leaves and
/// requires_grad). Strict like PyTorch's load_state_dict: a tensor missing on either side or
/// with a different shape throws UserError naming it (with both shapes) and the checkpoint.
void load_weights_into(graph::Graph& g, const std::string& path);

}  // namespace chop::checkpoint
