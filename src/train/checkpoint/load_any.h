// The one entry point for --load: says what a path holds (a .ckpt, a `chop transform` folder or a
// PyTorch/Lightning file) and loads it with that format's reader and typed errors.
#pragma once

#include <string>

#include "graph/graph.h"
#include "interop/torch_file.h"

namespace chop::checkpoint {

enum class Format {
  kCkpt,             // chop's checkpoint file (ckpt_file.h): graph, weights, metadata
  kTransformFolder,  // `chop transform`'s folder (transform_folder.h)
  kTorchFile,        // a torch.save'd state dict or a Lightning checkpoint (interop): weights
};

struct LoadOptions {
  interop::TorchLoadType torch_type = interop::TorchLoadType::kAuto;  // MASE's --load-type
};

/// What `path` holds, decided from the file itself (a folder, a zip archive, else a .ckpt).
/// DataError naming the path when it does not exist or is neither a folder nor a regular file
/// (a FIFO or device is refused before anything opens it).
Format sniff(const std::string& path);

/// Copies the weights `path` holds into `g` by state-dict name, strictly (a tensor missing on
/// either side or of another shape is an error naming it). A folder is read through the
/// transformed.ckpt it holds. Returns the format read.
Format load_weights_any(graph::Graph& g, const std::string& path, const LoadOptions& options = {});

struct Loaded {
  graph::Graph graph;
  Format format;
};

/// The model `path` holds: a .ckpt or transform folder brings its own graph (quantizers rebuilt
/// from its configs, parameters trainable); a PyTorch file holds weights only and is loaded
/// into `*built` (moved into the result; UserError when null).
Loaded load_any(const std::string& path, graph::Graph* built, const LoadOptions& options = {});

}  // namespace chop::checkpoint
