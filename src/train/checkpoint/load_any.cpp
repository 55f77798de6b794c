// Sniffing and dispatch for --load; see load_any.h.
#include "train/checkpoint/load_any.h"

#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "passes/transforms/quantize.h"
#include "train/checkpoint/ckpt_file.h"
#include "train/checkpoint/transform_folder.h"

namespace chop::checkpoint {

Format sniff(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw DataError(path, "checkpoint not found; check the --load path");
  if (std::filesystem::is_directory(path, ec)) return Format::kTransformFolder;
  // Before anything opens it: a FIFO would block a reader.
  require_regular_file(path);
  return interop::is_torch_zip(path) ? Format::kTorchFile : Format::kCkpt;
}

Format load_weights_any(graph::Graph& g, const std::string& path, const LoadOptions& options) {
  const Format format = sniff(path);
  if (format == Format::kTorchFile)
    interop::load_torch_weights(g, path, options.torch_type);
  else
    load_weights_into(g, path);  // a folder: its transformed.ckpt, or an error naming it
  return format;
}

Loaded load_any(const std::string& path, graph::Graph* built, const LoadOptions& options) {
  const Format format = sniff(path);
  switch (format) {
    case Format::kTransformFolder:
      return {load_transform_folder(path), format};
    case Format::kTorchFile: {
      if (!built)
        throw UserError(path + " holds weights only (a PyTorch file has no graph); name the "
                               "MODEL it was saved from");
      interop::load_torch_weights(*built, path, options.torch_type);
      return {std::move(*built), format};
    }
    case Format::kCkpt:
      break;
  }
  graph::Graph g = load_checkpoint(path);
  passes::attach_quantizers(g);
  g.set_requires_grad(true);
  return {std::move(g), format};
}

}  // namespace chop::checkpoint
