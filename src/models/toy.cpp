// MASE's ToyNet ("toy"): Linear(in,8)-ReLU-Linear(8,8)-ReLU-Linear(8,C) after flattening.
#include "graph/builder.h"
#include "models/zoo.h"

namespace chop::models {

graph::Graph build_toy(const ModelOptions& o) {
  using graph::Json;
  graph::GraphBuilder b("toy", o.seed);
  int64_t in = o.in_features;
  std::string x;
  if (o.image_input) {
    x = b.input("x", o.image_shape);
    in = o.image_shape[0] * o.image_shape[1] * o.image_shape[2];
    x = b.function("view", "view", {x}, Json{{"shape", {-1, in}}});
  } else {
    x = b.input("x", {in});
  }
  x = b.module("seq_blocks.0", "linear", x, Json{{"in_features", in}, {"out_features", 8}});
  x = b.module("seq_blocks.1", "relu", x);
  x = b.module("seq_blocks.2", "linear", x, Json{{"in_features", 8}, {"out_features", 8}});
  x = b.module("seq_blocks.3", "relu", x);
  x = b.module("seq_blocks.4", "linear", x,
               Json{{"in_features", 8}, {"out_features", o.n_classes}});
  return b.finish(x);
}

}  // namespace chop::models
