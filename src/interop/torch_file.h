// PyTorch files without Python: state dicts saved with torch.save (PyTorch's zip format) and
// PyTorch Lightning checkpoints (MASE's best.ckpt: state_dict with "model." prefixes), read
// into a chop graph by state-dict name with strict checks; and state dicts torch.load reads.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"

namespace chop::interop {

/// MASE's --load-type for PyTorch files: pt = a torch.save'd state dict (or a dict holding
/// "state_dict"), pl = a Lightning checkpoint (keys "model.<name>"), auto = decide from the
/// file (a Lightning checkpoint has "pytorch-lightning_version").
enum class TorchLoadType { kAuto, kPt, kPl };

/// True when `path` is a zip archive (what torch.save writes since PyTorch 1.6).
bool is_torch_zip(const std::string& path);

struct TorchStateDict {
  std::vector<std::pair<std::string, at::Tensor>> tensors;  // model names, file order
  std::vector<std::string> ignored;  // Lightning keys outside "model." (the wrapper's own)
  std::string what;                  // "state dict" or "Lightning checkpoint (epoch 9)"
};

/// Reads the tensors of a PyTorch file. DataError naming the file when it is missing, not a
/// zip, truncated or corrupt, written in the pre-1.6 format, or holds no state dict (e.g. a
/// whole pickled module).
TorchStateDict read_torch_state_dict(const std::string& path, TorchLoadType type);

/// Copies a PyTorch file's tensors into `g` by state-dict name. Strict, like PyTorch's
/// load_state_dict: a tensor missing from the file, one the model does not have, or one of a
/// different shape is a UserError naming it (nothing is copied then).
void load_torch_weights(graph::Graph& g, const std::string& path, TorchLoadType type);

/// Copies a state dict pickled by save_torch_state_dict (`bytes`, read from `path`) into g by
/// state-dict name. DataError naming `path` for a tensor g has that the file lacks, a shape
/// mismatch, or bytes that are not a dict of dense tensors.
void load_pickled_state_dict(graph::Graph& g, const std::string& bytes, const std::string& path);

/// Writes g's parameters and buffers as a state dict that torch.load reads (atomically).
void save_torch_state_dict(const graph::Graph& g, const std::string& path);

}  // namespace chop::interop
