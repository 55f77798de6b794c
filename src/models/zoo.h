// The model zoo registry (`chop list models`): name -> graph factory, MASE's layer lists and
// fx node names. Models take their input/class sizes from the data set's info.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/table_reader.h"
#include "core/registry.h"
#include "graph/graph.h"

namespace chop::models {

struct ModelOptions {
  int64_t in_features = 16;                     // feature-vector models (jsc, toy, mlp)
  std::vector<int64_t> image_shape{3, 32, 32};  // image models (vgg7); C, H, W
  bool image_input = false;                     // input is an image (mlp/toy flatten first)
  int64_t n_classes = 5;
  std::vector<int64_t> hidden_features;  // mlp widths; empty = registry default
  std::string hidden_features_from;      // the flag or TOML key that set them (for messages)
  uint64_t seed = 0;                     // parameter initialisation
};

struct ModelEntry {
  std::string name;
  std::string description;
  std::string input_kind;  // "features" or "image"
  graph::Graph (*build)(const ModelOptions& opts);
};

const Registry<ModelEntry>& model_registry();
/// The documented [model_config] table (model options a config file may set).
const config::TableDoc& model_config_doc();
/// model_registry().get(name): UserError naming the unknown model and listing the known ones.
const ModelEntry& model_entry(const std::string& name);
graph::Graph build_model(const std::string& name, const ModelOptions& opts);

// Factories (one file each), exposed for tests.
graph::Graph build_jsc_tiny(const ModelOptions& o);
graph::Graph build_jsc_toy(const ModelOptions& o);
graph::Graph build_jsc_s(const ModelOptions& o);
graph::Graph build_jsc_three_linear_layers(const ModelOptions& o);
graph::Graph build_toy(const ModelOptions& o);
graph::Graph build_mlp(const ModelOptions& o);
graph::Graph build_vgg7(const ModelOptions& o);

}  // namespace chop::models
