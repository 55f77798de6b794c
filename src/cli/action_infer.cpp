// `chop infer MODEL [DATASET] [--load CKPT] [--config CFG] --input X.npy --output Y.npy`: runs a
// (possibly quantized) model on an array and writes its outputs — how users compare chop with
// PyTorch. The inference itself is interop::run_inference.
#include <iostream>

#include "cli/action.h"
#include "cli/model_setup.h"
#include "core/error.h"
#include "core/files.h"
#include "core/log.h"
#include "data/npy.h"
#include "graph/ops.h"
#include "interop/infer.h"

namespace chop::cli {

int run_infer(ActionContext& ctx) {
  const std::string model = model_name(ctx);
  if (model.empty())
    throw UserError(
        "chop infer needs a MODEL (a zoo name or an .onnx file): chop infer MODEL "
        "--input X.npy --output Y.npy");
  if (!ctx.extra.contains("input") || !ctx.extra.contains("output"))
    throw UserError("chop infer needs --input X.npy (samples, batch first) and --output Y.npy");
  const std::string input = ctx.extra["input"].get<std::string>();
  const std::string output = ctx.extra["output"].get<std::string>();
  set_threads(ctx);
  at::Tensor x = data::read_npy(input);
  graph::Shape sample(x.sizes().begin() + (x.dim() > 1 ? 1 : 0), x.sizes().end());
  graph::Graph g = standalone_model(ctx, model, sample);
  x = interop::fit_input(g, x, input);
  const int64_t batch = ctx.cfg.integer("batch_size");
  if (apply_config_passes(ctx, g, x.narrow(0, 0, std::min<int64_t>(x.size(0), batch))) > 0)
    log_info("applied the [passes] of " + ctx.cfg.toml->path);
  interop::InferOptions opts;
  opts.batch_size = batch;
  opts.device = device_for(ctx);
  g.to(opts.device);
  at::Tensor y = interop::run_inference(g, x, opts);
  write_file_atomic(output, data::npy_bytes(y));
  std::cout << "Wrote " << output << ": outputs " << graph::shape_str(y.sizes().vec()) << " of "
            << g.model_name() << " for " << x.size(0) << " samples of " << input << "\n";
  return 0;
}

}  // namespace chop::cli
