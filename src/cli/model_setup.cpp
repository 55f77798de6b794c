// Model options from configuration; see model_setup.h.
#include "cli/model_setup.h"

#include <filesystem>
#include <map>

#include <ATen/Parallel.h>

#include "core/error.h"
#include "core/files.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/strings.h"
#include "data/registry.h"
#include "graph/attrs.h"
#include "interop/onnx_import.h"
#include "passes/pipeline.h"
#include "passes/transforms/quantize.h"
#include "runtime/executor.h"
#include "train/checkpoint/load_any.h"
#include "train/project.h"

namespace chop::cli {
namespace {

std::vector<int64_t> parse_widths(const config::Json& v, const std::string& where) {
  std::vector<int64_t> out;
  if (!v.is_array())
    throw ConfigError(where, "hidden_features must be a list of positive integers");
  for (const auto& w : v) {
    if (!w.is_number_integer() || w.get<int64_t>() <= 0 ||
        w.get<int64_t>() > graph::kMaxAttrSize)
      throw ConfigError(where,
                        "hidden_features must be a list of positive integers, got " + v.dump());
    out.push_back(w.get<int64_t>());
  }
  return out;
}

}  // namespace

std::string model_name(const ActionContext& ctx) {
  if (!ctx.words.empty()) return ctx.words[0];
  return ctx.cfg.str("model");
}

std::string dataset_name(const ActionContext& ctx) {
  if (ctx.words.size() >= 2) return ctx.words[1];
  return ctx.cfg.str("dataset");
}

const interop::ModelSource& model_source(const std::string& model) {
  // One import per process: every helper below asks about the same MODEL.
  static std::map<std::string, interop::ModelSource> cache;
  auto it = cache.find(model);
  if (it == cache.end()) it = cache.emplace(model, interop::resolve_model(model)).first;
  return it->second;
}

models::ModelOptions model_options_for(const ActionContext& ctx, const std::string& model,
                                       const std::string& dataset) {
  const interop::ModelSource& src = model_source(model);
  models::ModelOptions o;
  o.seed = static_cast<uint64_t>(ctx.cfg.integer("seed"));
  if (src.from_file) {
    o.n_classes = src.n_outputs;
    if (ctx.cfg.table("model_config") || ctx.extra.contains("hidden_features"))
      throw ConfigError(ctx.cfg.where("model_config"),
                        "model_config / --hidden-features shape zoo models; " + model +
                            " is an ONNX file whose layers are fixed by the file");
    return o;
  }
  if (src.input_kind == "image") {
    o.image_input = true;
    o.image_shape = {3, 32, 32};
    o.n_classes = 10;
  }
  if (const auto* mc = ctx.cfg.table("model_config")) {
    const config::TableReader reader(
        *mc, models::model_config_doc(),
        config::locate_in(ctx.cfg.toml ? &*ctx.cfg.toml : nullptr, "model_config"));
    if (reader.has("hidden_features")) {
      o.hidden_features =
          parse_widths(reader.get_json("hidden_features"), reader.locate("hidden_features"));
      o.hidden_features_from = reader.locate("hidden_features");
    }
  }
  if (ctx.extra.contains("hidden_features")) {
    o.hidden_features.clear();
    o.hidden_features_from = "--hidden-features";
    for (const auto& w : split(ctx.extra["hidden_features"].get<std::string>(), ',')) {
      auto v = parse_int64(trim(w));
      if (!v || *v <= 0 || *v > graph::kMaxAttrSize)
        throw UserError("--hidden-features expects comma-separated integers between 1 and " +
                        std::to_string(graph::kMaxAttrSize) + ", got '" +
                        ctx.extra["hidden_features"].get<std::string>() + "'");
      o.hidden_features.push_back(*v);
    }
  }
  (void)dataset;  // data-set shapes: the overload taking the data set's info
  return o;
}

namespace {
int64_t positive_extra(const ActionContext& ctx, const std::string& dest, const char* flag) {
  const std::string text = ctx.extra[dest].get<std::string>();
  auto v = parse_int64(text);
  if (v && *v > 0) return *v;
  throw UserError(std::string(flag) + " expects a positive integer (within 64 bits), got '" +
                  text + "'");
}
}  // namespace

data::DatasetOptions dataset_options_for(const ActionContext& ctx, const std::string& model) {
  data::DatasetOptions d;
  d.data_path = ctx.cfg.str("data_path");
  if (ctx.extra.contains("dataset_size"))
    d.n_samples = positive_extra(ctx, "dataset_size", "--dataset-size");
  if (ctx.extra.contains("val_size")) d.n_val = positive_extra(ctx, "val_size", "--val-size");
  d.flatten = !model.empty() && model_source(model).input_kind == "features";
  d.use_cache = !ctx.cfg.flag("disable_dataset_cache");
  return d;
}

models::ModelOptions model_options_for(const ActionContext& ctx, const std::string& model,
                                       const data::DatasetInfo& info) {
  models::ModelOptions o = model_options_for(ctx, model, info.name);
  if (model_source(model).from_file) return o;  // the file fixes shapes; checked when built
  o.n_classes = info.n_classes;
  if (model_source(model).input_kind == "image") {
    if (info.input_shape.size() != 3)
      throw UserError("model " + model + " takes C x H x W images, but data set " + info.name +
                      " has samples of " + std::to_string(info.n_features()) +
                      " features; pick a feature model (see `chop list models`)");
    o.image_input = true;
    o.image_shape = info.input_shape;
  } else {
    o.in_features = info.n_features();  // image sets arrive flattened (dataset_options_for)
  }
  return o;
}

data::Splits load_data_for(const ActionContext& ctx, const std::string& model,
                           const std::string& dataset) {
  data::Splits s = data::load_dataset(dataset, dataset_options_for(ctx, model));
  if (!model.empty()) interop::fit_data_to_model(s, model_source(model));
  log_info("data set " + s.info.name + " (" + s.info.source + "): train " +
           with_thousands(s.train.size()) + ", val " + with_thousands(s.val.size()) + ", test " +
           with_thousands(s.test.size()) + " samples");
  return s;
}

graph::Graph build_model_for(const ActionContext& ctx, const std::string& model,
                             const data::DatasetInfo& info) {
  return interop::build_model(model_source(model), model_options_for(ctx, model, info), &info);
}

graph::Graph build_model_for(const ActionContext& ctx, const std::string& model) {
  return interop::build_model(model_source(model), model_options_for(ctx, model, ""), nullptr);
}

interop::TorchLoadType torch_load_type(const ActionContext& ctx) {
  const std::string t = ctx.cfg.str("load_type");
  if (t == "pt") return interop::TorchLoadType::kPt;
  if (t == "pl") return interop::TorchLoadType::kPl;
  return interop::TorchLoadType::kAuto;
}

void load_weights_for(const ActionContext& ctx, graph::Graph& g) {
  const std::string path = ctx.cfg.str("load_name");
  const std::string load_type = ctx.cfg.str("load_type");
  if (load_type == "hf")
    throw UserError(
        "--load-type hf is for HuggingFace models; chop reads its own checkpoints "
        "and PyTorch files with --load-type pt, pl or mz");
  checkpoint::load_weights_any(g, path, {torch_load_type(ctx)});
  log_info("loaded weights from " + path);
}

graph::Graph standalone_model(const ActionContext& ctx, const std::string& model,
                              const graph::Shape& sample_hint) {
  const std::string dataset = dataset_name(ctx);
  const bool load = !ctx.cfg.is_null("load_name");
  const std::string path = load ? ctx.cfg.str("load_name") : "";
  graph::Graph g;
  if (!dataset.empty()) {
    data::Splits splits = load_data_for(ctx, model, dataset);
    g = build_model_for(ctx, model, splits.info);
  } else if (load && checkpoint::sniff(path) != checkpoint::Format::kTorchFile) {
    // A .ckpt or a `chop transform` folder carries its graph.
    checkpoint::Loaded loaded = checkpoint::load_any(path, nullptr, {torch_load_type(ctx)});
    if (loaded.format == checkpoint::Format::kCkpt)
      log_info("loaded " + loaded.graph.model_name() + " (graph and weights) from " + path);
    return std::move(loaded.graph);
  } else if (model_source(model).from_file) {
    g = build_model_for(ctx, model);
  } else {
    models::ModelOptions o = model_options_for(ctx, model, "");
    if (!sample_hint.empty()) {
      if (model_source(model).input_kind == "image") {
        if (sample_hint.size() != 3)
          throw UserError("model " + model +
                          " takes C x H x W images; the input has samples of "
                          "shape " +
                          graph::shape_str(sample_hint));
        o.image_shape = sample_hint;
      } else {
        o.in_features = 1;
        for (int64_t d : sample_hint) o.in_features *= d;
      }
    }
    log_info("model " + model + " built for inputs of " +
             (o.image_input ? graph::shape_str(o.image_shape) : std::to_string(o.in_features)) +
             " and " + std::to_string(o.n_classes) +
             " classes (name a DATASET to build it for the data set's shapes)");
    g = models::build_model(model, o);
  }
  if (load) load_weights_for(ctx, g);
  return g;
}

size_t apply_config_passes(const ActionContext& ctx, graph::Graph& g, const at::Tensor& example) {
  if (!ctx.cfg.toml) return 0;
  const config::Json* table = ctx.cfg.table("passes");
  if (!table) return 0;
  std::vector<passes::PipelineStep> steps = passes::pipeline_from_table(*table, &*ctx.cfg.toml);
  if (steps.empty()) return 0;
  passes::PassContext pctx;
  pctx.batch_size = ctx.cfg.integer("batch_size");
  pctx.seed = static_cast<uint64_t>(ctx.cfg.integer("seed"));
  pctx.dummy_input = example;
  pctx.where = [&](const std::string& key) { return ctx.cfg.where(key); };
  pctx.input_batch = [example](int64_t) { return example; };
  auto reports = passes::run_transform(g, steps, pctx);
  for (const auto& r : reports)
    log_info("pass " + r.name + (r.changed ? ": changed" : ": unchanged"));
  return steps.size();
}

void require_model_and_dataset(const std::string& action, const std::string& model,
                               const std::string& dataset) {
  if (model.empty() || dataset.empty())
    throw UserError("No model and/or dataset provided! usage: chop " + action +
                    " MODEL DATASET [flags] (see `chop list models` and `chop list datasets`)");
}

at::Device device_for(const ActionContext& ctx) {
  std::string name = ctx.cfg.str("accelerator");
  bool from_cli = false;
  for (const auto& r : ctx.cfg.rows)
    if (r.dest == "accelerator") from_cli = r.cli_value.has_value();
  if (!from_cli && (name == "gpu" || name == "cuda") && !runtime::cuda_available()) {
    log_warning(ctx.cfg.where("accelerator") + ": accelerator \"" + name +
                "\" requested but no CUDA device is available; running on the CPU");
    return at::Device(at::kCPU);
  }
  return runtime::parse_device(name);
}

void set_threads(const ActionContext& ctx) {
  int64_t n = ctx.cfg.integer("num_workers");
  if (n > 0) at::set_num_threads(static_cast<int>(n));
}

void check_batch_memory(const std::vector<graph::Shape>& shapes, bool backward) {
  std::optional<uint64_t> total = 0;
  for (const auto& s : shapes) {
    auto n = element_count(s);
    total = n && total ? checked_add(*total, *n) : std::nullopt;
  }
  // float32 outputs; backward keeps them and adds a gradient of each.
  auto bytes = total ? checked_mul(*total, backward ? 3 * sizeof(float) : sizeof(float))
                     : std::nullopt;
  check_flag_memory("--batch-size (TOML key batch_size)", bytes,
                    std::string("one batch's activations") + (backward ? " and gradients" : ""));
}

std::string project_name(const ActionContext& ctx, const std::string& model,
                         const std::string& dataset) {
  std::string name;
  if (!ctx.cfg.is_null("project")) name = ctx.cfg.str("project");
  // An ONNX model's project is named after the file ("tagger", not the whole path).
  const std::string model_label =
      interop::is_onnx_path(model) ? std::filesystem::path(model).stem().string() : model;
  if (name.empty()) name = train::default_project_name(model_label, ctx.cfg.str("task"), dataset);
  return name;
}

ProjectFolder project_folder(const ActionContext& ctx, const std::string& model,
                             const std::string& dataset) {
  ProjectFolder f;
  f.name = project_name(ctx, model, dataset);
  f.path = train::setup_project_folder(ctx.cfg.str("project_dir"), f.name);
  return f;
}

}  // namespace chop::cli
