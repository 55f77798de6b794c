// Turns the resolved configuration into model options (input size, classes, widths), from the
// data set's info when a data set is named, else from the model's defaults.
#pragma once

#include "cli/action.h"
#include "data/dataset.h"
#include "graph/ops.h"
#include "interop/model_source.h"
#include "interop/torch_file.h"
#include "models/zoo.h"

namespace chop::cli {

/// What MODEL names (a zoo model or an ONNX file, imported once per process).
const interop::ModelSource& model_source(const std::string& model);

models::ModelOptions model_options_for(const ActionContext& ctx, const std::string& model,
                                       const std::string& dataset);

/// Data set options from the configuration: --data-path (data_path), --dataset-size,
/// --val-size; image data are flattened for feature-vector models (jsc-*, toy, mlp).
data::DatasetOptions dataset_options_for(const ActionContext& ctx, const std::string& model);

/// model_options_for() with the input size / image shape and class count of the data set.
/// UserError when an image model is paired with a feature data set.
models::ModelOptions model_options_for(const ActionContext& ctx, const std::string& model,
                                       const data::DatasetInfo& info);

/// Loads DATASET for MODEL (dataset_options_for), logging what was read and the split sizes.
data::Splits load_data_for(const ActionContext& ctx, const std::string& model,
                           const std::string& dataset);

/// MODEL's graph for the data set (zoo: built for its shapes; ONNX: the import, checked
/// against the data set's samples and classes); without a data set, the model's own shapes.
graph::Graph build_model_for(const ActionContext& ctx, const std::string& model,
                             const data::DatasetInfo& info);
graph::Graph build_model_for(const ActionContext& ctx, const std::string& model);

/// Loads --load into `g` by state-dict name: chop's own checkpoint, or a PyTorch zip
/// (--load-type pt: torch.save'd state dict, pl: Lightning checkpoint, mz: decided by the file).
void load_weights_for(const ActionContext& ctx, graph::Graph& g);
interop::TorchLoadType torch_load_type(const ActionContext& ctx);

/// MODEL's graph for the actions that need no data set (export, infer), with --load applied:
/// with a DATASET the zoo model is built for it; otherwise a chop checkpoint (--load) brings
/// its own graph, an ONNX file its import, and a zoo model takes `sample_hint` (one sample's
/// input shape; empty: the model's default) with the default class count.
graph::Graph standalone_model(const ActionContext& ctx, const std::string& model,
                              const graph::Shape& sample_hint);

/// Runs the [passes.*] tables of --config (if any) on `g` (quantize, redefine_channels, ...),
/// with `example` as the metadata batch. Returns the number of passes run.
size_t apply_config_passes(const ActionContext& ctx, graph::Graph& g, const at::Tensor& example);

/// UserError "No model and/or dataset provided!" (MASE's words) with the usage of `action`.
void require_model_and_dataset(const std::string& action, const std::string& model,
                               const std::string& dataset);

/// The device from --accelerator. A TOML "gpu"/"cuda" (MASE's example configs) falls back to the
/// CPU with a warning when no CUDA device exists; an explicit --accelerator gpu still fails.
at::Device device_for(const ActionContext& ctx);

/// LibTorch intra-op threads from --num-workers (chop's meaning of MASE's flag).
void set_threads(const ActionContext& ctx);

/// The project (--project, or MASE's <model>_<task>_<dataset>_<date> when unset) and its folder
/// under --project-dir, created.
struct ProjectFolder {
  std::string name;
  std::string path;
};
ProjectFolder project_folder(const ActionContext& ctx, const std::string& model,
                             const std::string& dataset);
/// The project's name alone (nothing created).
std::string project_name(const ActionContext& ctx, const std::string& model,
                         const std::string& dataset);

/// UserError naming --batch-size when one batch's activations (every node's output, `shapes`
/// from graph::verify with the batch as dimension 0), with gradients when `backward`, would not
/// fit the memory budget. Checked before the first batch is built.
void check_batch_memory(const std::vector<graph::Shape>& shapes, bool backward);

/// MODEL and DATASET from the positionals or the TOML; empty when absent.
std::string model_name(const ActionContext& ctx);
std::string dataset_name(const ActionContext& ctx);

}  // namespace chop::cli
