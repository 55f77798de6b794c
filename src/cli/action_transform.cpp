// `chop transform --config X.toml [--load CKPT]`: MASE's transform action (mase.md §10) — build
// (or load) the model, add common and software metadata from the first training batch, run the
// [passes.*] tables in file order, and save the transformed model, node metadata and reports
// under <project_dir>/<project>/software/transform.
#include <filesystem>
#include <iostream>

#include "cli/action.h"
#include "cli/hardware_cost.h"
#include "cli/model_setup.h"
#include "core/error.h"
#include "core/files.h"
#include "core/log.h"
#include "core/strings.h"
#include "data/dataset.h"
#include "graph/verify.h"
#include "passes/pipeline.h"
#include "passes/analysis/hardware_metrics.h"
#include "passes/registry.h"
#include "passes/transforms/quantize.h"
#include "runtime/executor.h"
#include "train/checkpoint/ckpt_file.h"
#include "train/checkpoint/load_any.h"
#include "train/checkpoint/transform_folder.h"
#include "train/project.h"

namespace chop::cli {
namespace {

// --load accepts what checkpoint::load_any reads: a chop transform folder (graph.txt +
// state.pt), a PyTorch state dict or Lightning checkpoint (loaded into the built model), or a
// chop training checkpoint (.ckpt, which carries its graph).
graph::Graph load_model(const ActionContext& ctx, graph::Graph built, const std::string& path) {
  const std::string built_name = built.model_name();
  checkpoint::Loaded loaded = checkpoint::load_any(path, &built, {torch_load_type(ctx)});
  if (loaded.format == checkpoint::Format::kCkpt && loaded.graph.model_name() != built_name)
    log_warning("checkpoint " + path + " holds model '" + loaded.graph.model_name() +
                "', not '" + built_name + "'; using the checkpoint's graph");
  return std::move(loaded.graph);
}

// The transformed model's headline numbers (MASE's average_bitwidth runner included), quietly
// recomputed so they appear whatever the pipeline held.
void print_summary(graph::Graph& g, passes::PassContext& pctx) {
  std::ostream* out = pctx.out;
  const std::string save_dir = pctx.save_dir;
  pctx.out = nullptr;
  pctx.save_dir.clear();
  pctx.option_path.clear();
  config::Json results = pctx.results;
  // Shapes as the pipeline left them (its add_common_metadata ran first).
  passes::HardwareMetricOptions present;
  present.shapes = passes::ShapeSource::kPresent;
  const config::Json m = passes::hardware_metrics(
      g, {"flops", "bitops", "model_size", "average_bitwidth", "memory_density"}, pctx, present);
  pctx.results = results;  // keep the pipeline's own infos for metrics.json
  pctx.out = out;
  pctx.save_dir = save_dir;
  std::cout << "Transformed model: FLOPs " << with_thousands(m["flops"].get<int64_t>())
            << ", BitOPs " << with_thousands(m["bitops"].get<int64_t>()) << ", size "
            << format_double(m["model_size"].get<double>())
            << " bytes, average_bitwidth: " << format_double(m["average_bitwidth"].get<double>())
            << ", memory_density: " << format_double(m["memory_density"].get<double>())
            << " (vs 32-bit)\n";
  print_hardware_cost(g, pctx, std::cout);
  pctx.results = results;
}

}  // namespace

int run_transform(ActionContext& ctx) {
  if (!ctx.cfg.toml)
    throw UserError(
        "expected configuration via --config, got None (chop transform --config "
        "X.toml; see configs/jsc_toy_by_type.toml)");
  const std::string model = model_name(ctx);
  const std::string dataset = dataset_name(ctx);
  require_model_and_dataset("transform", model, dataset);
  // Check the pipeline before any slow work.
  const config::Json* table = ctx.cfg.table("passes");
  std::vector<passes::PipelineStep> steps =
      passes::pipeline_from_table(table ? *table : config::Json(), &*ctx.cfg.toml);
  if (steps.empty()) log_warning(ctx.cfg.toml->path + ": no [passes.*] tables; only metadata");
  std::cout << ctx.cfg.render_table() << std::flush;
  set_threads(ctx);
  const at::Device device = device_for(ctx);

  data::Splits splits = load_data_for(ctx, model, dataset);
  graph::Graph g = build_model_for(ctx, model, splits.info);
  if (!ctx.cfg.is_null("load_name")) g = load_model(ctx, std::move(g), ctx.cfg.str("load_name"));
  const int64_t batch_size = ctx.cfg.integer("batch_size");
  graph::Shape in_shape = splits.train.x.sizes().vec();
  in_shape[0] = batch_size;
  graph::verify(g, in_shape);
  g.to(device);

  const std::string save_dir = project_folder(ctx, model, dataset).path + "/software/transform";
  make_dirs(save_dir);

  passes::PassContext pctx;
  pctx.batch_size = batch_size;
  pctx.seed = static_cast<uint64_t>(ctx.cfg.integer("seed"));
  pctx.device = device.str();
  pctx.save_dir = save_dir;
  pctx.debug = ctx.cfg.flag("to_debug");
  pctx.out = &std::cout;
  pctx.where = [&](const std::string& key) { return ctx.cfg.where(key); };
  // MASE's dummy input and InputGenerator: batches of the training split (in order here).
  const data::TensorDataset& train = splits.train;
  const int64_t n_batches = data::num_batches(train.size(), batch_size);
  if (n_batches == 0) throw UserError("data set " + dataset + " has an empty training split");
  pctx.dummy_input = data::get_batch(train, at::Tensor(), 0, batch_size).x;
  pctx.input_batch = [&train, n_batches, batch_size](int64_t i) {
    return data::get_batch(train, at::Tensor(), i % n_batches, batch_size).x;
  };

  auto reports = passes::run_transform(g, steps, pctx);
  std::cout << passes::timing_table(reports);
  print_summary(g, pctx);

  const std::string ckpt_dir = save_dir + "/transformed_ckpt";
  checkpoint::save_transform_folder(g, ckpt_dir);
  config::Json meta{{"action", "transform"}, {"dataset", dataset}, {"config", ctx.cfg.toml->path}};
  checkpoint::save_checkpoint(g, ckpt_dir + "/transformed.ckpt", meta);
  config::Json metrics = config::Json::object();
  for (const auto& r : reports) metrics[r.name] = r.info;
  write_file_atomic(save_dir + "/metrics.json", metrics.dump(1) + "\n");
  std::cout << "Saved the transformed model to " << ckpt_dir
            << " (graph.txt, node_meta.toml, state.pt, transformed.ckpt) and reports to "
            << save_dir << "\n";
  return 0;
}

}  // namespace chop::cli
