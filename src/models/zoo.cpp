// The model registry table; see zoo.h. Adding a model = one row here + one factory file.
#include "models/zoo.h"

#include "core/error.h"
#include "core/strings.h"

namespace chop::models {

const Registry<ModelEntry>& model_registry() {
  static const Registry<ModelEntry> table{
      {"model", "models", "chop list models"},
      {
          {"jsc-tiny", "JSC_Tiny: BN1d, ReLU, Linear(16,5), ReLU (117 params)", "features",
           build_jsc_tiny},
          {"jsc-toy", "JSC_Toy: 3 Linear layers 16-8-8-5 with BN1d (327 params)", "features",
           build_jsc_toy},
          {"jsc-s", "JSC_S: Linear 16-64-32-32-32-5 with BN1d (5,615 params)", "features",
           build_jsc_s},
          {"jsc-three-linear-layers", "MASE lab 4: BN1d, ReLU, Linear 16-16-16-5 with ReLUs",
           "features", build_jsc_three_linear_layers},
          {"toy", "MASE ToyNet: Linear(in,8)-ReLU-Linear(8,8)-ReLU-Linear(8,C)", "features",
           build_toy},
          {"mlp", "Generic MLP; widths from model_config.hidden_features (default 256,128)",
           "features", build_mlp},
          {"vgg7", "VGG7 for CIFAR: 6 conv3x3+BN+ReLU, 3 max-pools, 3 Linears (14,029,450 params)",
           "image", build_vgg7},
      }};
  return table;
}

const config::TableDoc& model_config_doc() {
  static const config::TableDoc doc{
      "model_config",
      "options of the model being built (the data set gives input size and classes)",
      {{"hidden_features", "list", nullptr, false,
        "mlp's hidden widths, positive integers (default 256, 128); --hidden-features overrides"}}};
  return doc;
}

const ModelEntry& model_entry(const std::string& name) {
  return model_registry().get(name);
}

graph::Graph build_model(const std::string& name, const ModelOptions& opts) {
  return model_entry(name).build(opts);
}

}  // namespace chop::models
