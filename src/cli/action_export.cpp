// `chop export MODEL [DATASET] [--load CKPT] [--config CFG.toml] --format F --output FILE`: writes
// a (possibly transformed) model where users deploy it — ONNX, QONNX (hls4ml, FINN), QDQ (ONNX
// Runtime) or a PyTorch state dict. The writers are interop's export format table.
#include <iostream>

#include "cli/action.h"
#include "cli/model_setup.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "interop/export.h"

namespace chop::cli {

int run_export(ActionContext& ctx) {
  const std::string model = model_name(ctx);
  std::vector<std::string> formats;
  for (const auto& f : interop::export_formats()) formats.push_back(f.name);
  const std::string usage = "chop export MODEL --format " + join(formats, "|") + " --output FILE";
  if (model.empty()) throw UserError("chop export needs a MODEL: " + usage);
  if (!ctx.extra.contains("format") || !ctx.extra.contains("output"))
    throw UserError("chop export needs --format and --output: " + usage);
  const interop::ExportFormat& format =
      interop::export_format(ctx.extra["format"].get<std::string>());
  const std::string output = ctx.extra["output"].get<std::string>();
  set_threads(ctx);
  graph::Graph g = standalone_model(ctx, model, {});
  graph::Shape shape = g.nodes().front().attrs.value("shape", graph::Shape{-1});
  shape[0] = std::max<int64_t>(1, std::min<int64_t>(ctx.cfg.integer("batch_size"), 8));
  at::manual_seed(static_cast<uint64_t>(ctx.cfg.integer("seed")));
  if (apply_config_passes(ctx, g, at::randn(shape)) > 0)
    log_info("applied the [passes] of " + ctx.cfg.toml->path);
  format.write(g, output);
  std::cout << "Exported " << g.model_name() << " as " << format.name << " to " << output << " ("
            << format.summary << "; read by " << format.readers << ")\n";
  return 0;
}

}  // namespace chop::cli
