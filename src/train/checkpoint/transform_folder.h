// chop's transform folder (the output of `chop transform`, read by --load; see load_any.h):
// graph.txt (graph text with quantization configs), node_meta.toml (node name -> MASE metadata,
// null written as "NA"), state.pt (the state dict, torch.load-able from Python) and digest.json
// (size and CRC-32 of the three, checked before anything is parsed, as a .ckpt's checksum).
#pragma once

#include <string>

#include "graph/graph.h"

namespace chop::checkpoint {

struct TransformFolderPaths {
  std::string dir, graph, node_meta, state, digest;
};
TransformFolderPaths transform_folder_paths(const std::string& dir);

/// Writes the three files into `dir` (created), each atomically, then digest.json.
TransformFolderPaths save_transform_folder(const graph::Graph& g, const std::string& dir);

/// Reads a folder written by save_transform_folder: digest check first, then structure,
/// tensors, metadata, and quantizers rebuilt from the configs. DataError names a missing,
/// altered or malformed file.
graph::Graph load_transform_folder(const std::string& dir);

/// The node_meta.toml text: one table per node holding {common, software, hardware}.
std::string node_meta_toml(const graph::Graph& g);

}  // namespace chop::checkpoint
