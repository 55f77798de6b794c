// chop's transformed-model checkpoint (the output of `chop transform`, read by --load):
// graph.txt (graph text with quantization configs), node_meta.toml (node name -> MASE metadata,
// null written as "NA"), state.pt (the state dict, torch.load-able from Python) and digest.json
// (size and CRC-32 of the three, checked before anything is parsed, as a .ckpt's checksum).
#pragma once

#include <string>

#include "graph/graph.h"

namespace chop::passes {

struct CheckpointPaths {
  std::string dir, graph, node_meta, state, digest;
};
CheckpointPaths checkpoint_paths(const std::string& dir);

/// Writes the three files into `dir` (created), each atomically, then digest.json.
CheckpointPaths save_checkpoint(const graph::Graph& g, const std::string& dir);

/// Reads a folder written by save_checkpoint: digest check first, then structure, tensors,
/// metadata, and quantizers rebuilt from the configs. DataError names a missing, altered or
/// malformed file.
graph::Graph load_checkpoint(const std::string& dir);

/// Loads a state dict file (state.pt from chop or a torch.save'd dict of tensors) into g by
/// state-dict name. DataError names missing entries and shape mismatches.
void load_state_dict_file(graph::Graph& g, const std::string& path);
void save_state_dict_file(const graph::Graph& g, const std::string& path);

/// The node_meta.toml text: one table per node holding {common, software, hardware}.
std::string node_meta_toml(const graph::Graph& g);

}  // namespace chop::passes
