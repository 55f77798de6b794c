// `chop infer MODEL [DATASET] [--load CKPT] [--config CFG] --input X.npy --output Y.npy`: runs a
// (possibly quantized) model on an array and writes its outputs — how users compare chop with
// PyTorch. The inference itself is interop::run_inference. With --bit-exact the integer-quantized
// graph runs in the fixed-point engine and its mismatches with the fake-quantized path are shown.
#include <iostream>

#include "cli/action.h"
#include "cli/model_setup.h"
#include "core/error.h"
#include "core/files.h"
#include "core/log.h"
#include "data/npy.h"
#include "graph/ops.h"
#include "interop/infer.h"
#include "runtime/fixed_point_format.h"

namespace chop::cli {

namespace {

// --bit-exact [--rounding R] [--overflow O] as the engine's options; the modes without
// --bit-exact are a mistake, not something to ignore.
bool bit_exact_options(ActionContext& ctx, runtime::BitExactOptions& be) {
  const bool bit_exact = ctx.extra.value("bit_exact", false);
  for (const char* key : {"rounding", "overflow"}) {
    if (!ctx.extra.contains(key)) continue;
    const std::string flag = std::string("--") + key;
    if (!bit_exact)
      throw UserError(flag + " applies to the integer engine: add --bit-exact");
    const std::string v = ctx.extra[key].get<std::string>();
    if (flag == "--rounding") {
      auto r = runtime::parse_rounding(v);
      if (!r)
        throw UserError("unknown --rounding '" + v + "'; use half_even (MASE's integer "
                        "quantizer), half_up (AP_RND) or truncate (AP_TRN)");
      be.rounding = *r;
    } else {
      auto o = runtime::parse_overflow(v);
      if (!o) throw UserError("unknown --overflow '" + v + "'; use saturate or wrap (AP_WRAP)");
      be.overflow = *o;
    }
  }
  return bit_exact;
}

}  // namespace

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
  interop::InferOptions opts;
  opts.bit_exact = bit_exact_options(ctx, opts.bit_exact_options);
  set_threads(ctx);
  at::Tensor x = data::read_npy(input);
  graph::Shape sample(x.sizes().begin() + (x.dim() > 1 ? 1 : 0), x.sizes().end());
  graph::Graph g = standalone_model(ctx, model, sample);
  x = interop::fit_input(g, x, input);
  const int64_t batch = ctx.cfg.integer("batch_size");
  if (apply_config_passes(ctx, g, x.narrow(0, 0, std::min<int64_t>(x.size(0), batch))) > 0)
    log_info("applied the [passes] of " + ctx.cfg.toml->path);
  opts.batch_size = batch;
  opts.device = opts.bit_exact ? at::Device(at::kCPU) : device_for(ctx);
  g.to(opts.device);
  runtime::BitExactReport report;
  at::Tensor y = interop::run_inference(g, x, opts, &report);
  write_file_atomic(output, data::npy_bytes(y));
  if (opts.bit_exact) std::cout << report.table() << "\n" << report.summary() << "\n";
  std::cout << "Wrote " << output << ": " << (opts.bit_exact ? "bit-exact integer " : "")
            << "outputs " << graph::shape_str(y.sizes().vec()) << " of " << g.model_name()
            << " for " << x.size(0) << " samples of " << input << "\n";
  return 0;
}

}  // namespace chop::cli
