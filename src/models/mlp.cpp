// Generic MLP ("mlp"): [flatten] then Linear-ReLU per hidden width, then Linear to the classes.
// Widths come from config (model_config.hidden_features / --hidden-features); default 256,128.
#include "graph/builder.h"
#include "models/zoo.h"

namespace chop::models {

graph::Graph build_mlp(const ModelOptions& o) {
  using graph::Json;
  graph::GraphBuilder b("mlp", o.seed);
  if (!o.hidden_features_from.empty()) b.set_sizes_from(o.hidden_features_from);
  int64_t prev = o.in_features;
  std::string x;
  if (o.image_input) {
    x = b.input("x", o.image_shape);
    prev = o.image_shape[0] * o.image_shape[1] * o.image_shape[2];
    x = b.function("flatten", "flatten", {x}, Json{{"start_dim", 1}, {"end_dim", -1}});
  } else {
    x = b.input("x", {prev});
  }
  std::vector<int64_t> widths = o.hidden_features;
  if (widths.empty()) widths = {256, 128};
  int i = 0;
  for (int64_t w : widths) {
    x = b.module("seq_blocks." + std::to_string(i++), "linear", x,
                 Json{{"in_features", prev}, {"out_features", w}});
    x = b.module("seq_blocks." + std::to_string(i++), "relu", x);
    prev = w;
  }
  x = b.module("seq_blocks." + std::to_string(i), "linear", x,
               Json{{"in_features", prev}, {"out_features", o.n_classes}});
  return b.finish(x);
}

}  // namespace chop::models
