// Model options from configuration; see model_setup.h.
#include "cli/model_setup.h"

#include <ATen/Parallel.h>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "data/registry.h"
#include "runtime/executor.h"
#include "train/project.h"

namespace chop::cli {
namespace {

std::vector<int64_t> parse_widths(const config::Json& v, const std::string& where) {
  std::vector<int64_t> out;
  if (!v.is_array())
    throw ConfigError(where, "hidden_features must be a list of positive integers");
  for (const auto& w : v) {
    if (!w.is_number_integer() || w.get<int64_t>() <= 0)
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

models::ModelOptions model_options_for(const ActionContext& ctx, const std::string& model,
                                       const std::string& dataset) {
  const auto& entry = models::model_entry(model);
  models::ModelOptions o;
  o.seed = static_cast<uint64_t>(ctx.cfg.integer("seed"));
  if (entry.input_kind == "image") {
    o.image_input = true;
    o.image_shape = {3, 32, 32};
    o.n_classes = 10;
  }
  if (const auto* mc = ctx.cfg.table("model_config")) {
    for (auto it = mc->begin(); it != mc->end(); ++it) {
      if (it.key() == "hidden_features") {
        o.hidden_features = parse_widths(it.value(), ctx.cfg.where("model_config.hidden_features"));
      } else {
        throw ConfigError(
            ctx.cfg.where("model_config." + it.key()),
            "unknown key 'model_config." + it.key() + "'; model_config accepts: hidden_features");
      }
    }
  }
  if (ctx.extra.contains("hidden_features")) {
    o.hidden_features.clear();
    for (const auto& w : split(ctx.extra["hidden_features"].get<std::string>(), ',')) {
      try {
        int64_t v = std::stoll(w);
        if (v <= 0) throw std::invalid_argument("");
        o.hidden_features.push_back(v);
      } catch (const std::exception&) {
        throw UserError("--hidden-features expects comma-separated positive integers, got '" +
                        ctx.extra["hidden_features"].get<std::string>() + "'");
      }
    }
  }
  (void)dataset;  // data-set shapes: the overload taking the data set's info
  return o;
}

namespace {
int64_t positive_extra(const ActionContext& ctx, const std::string& dest, const char* flag) {
  const std::string text = ctx.extra[dest].get<std::string>();
  try {
    size_t used = 0;
    int64_t v = std::stoll(text, &used);
    if (used == text.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw UserError(std::string(flag) + " expects a positive integer, got '" + text + "'");
}
}  // namespace

data::DatasetOptions dataset_options_for(const ActionContext& ctx, const std::string& model) {
  data::DatasetOptions d;
  d.data_path = ctx.cfg.str("data_path");
  if (ctx.extra.contains("dataset_size"))
    d.n_samples = positive_extra(ctx, "dataset_size", "--dataset-size");
  if (ctx.extra.contains("val_size")) d.n_val = positive_extra(ctx, "val_size", "--val-size");
  d.flatten = !model.empty() && models::model_entry(model).input_kind == "features";
  return d;
}

models::ModelOptions model_options_for(const ActionContext& ctx, const std::string& model,
                                       const data::DatasetInfo& info) {
  models::ModelOptions o = model_options_for(ctx, model, info.name);
  const auto& entry = models::model_entry(model);
  o.n_classes = info.n_classes;
  if (entry.input_kind == "image") {
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
  log_info("data set " + s.info.name + " (" + s.info.source + "): train " +
           with_thousands(s.train.size()) + ", val " + with_thousands(s.val.size()) + ", test " +
           with_thousands(s.test.size()) + " samples");
  return s;
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

std::string project_name(const ActionContext& ctx, const std::string& model,
                         const std::string& dataset) {
  std::string name;
  if (!ctx.cfg.is_null("project")) name = ctx.cfg.str("project");
  if (name.empty()) name = train::default_project_name(model, ctx.cfg.str("task"), dataset);
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
