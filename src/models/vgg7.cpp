// MASE's VGG7 for CIFAR (models/vision/vgg_cifar): six 3x3 convs with BatchNorm (momentum 0.9)
// and in-place ReLUs, three max-pools, x.view(-1, 8192), two 1024-wide Linears, last_layer.
#include "graph/builder.h"
#include "models/zoo.h"

namespace chop::models {

graph::Graph build_vgg7(const ModelOptions& o) {
  using graph::Json;
  graph::GraphBuilder b("vgg7", o.seed);
  std::string x = b.input("x", o.image_shape);
  int64_t prev = o.image_shape[0];
  int idx = 0;
  auto target = [&]() { return "feature_layers." + std::to_string(idx++); };
  const int64_t channels[] = {128, 128, 256, 256, 512, 512};
  for (int i = 0; i < 6; ++i) {
    int64_t c = channels[i];
    x = b.module(target(), "conv2d", x,
                 Json{{"in_channels", prev},
                      {"out_channels", c},
                      {"kernel_size", {3, 3}},
                      {"stride", {1, 1}},
                      {"padding", {1, 1}}});
    x = b.module(target(), "batch_norm2d", x, Json{{"num_features", c}, {"momentum", 0.9}});
    x = b.module(target(), "relu", x, Json{{"inplace", true}});
    if (i % 2 == 1)
      x = b.module(target(), "max_pool2d", x, Json{{"kernel_size", {2, 2}}, {"stride", {2, 2}}});
    prev = c;
  }
  int64_t spatial = (o.image_shape[1] / 8) * (o.image_shape[2] / 8);
  int64_t flat = prev * spatial;
  x = b.function("view", "view", {x}, Json{{"shape", {-1, flat}}});
  x = b.module("classifier.0", "linear", x, Json{{"in_features", flat}, {"out_features", 1024}});
  x = b.module("classifier.1", "relu", x, Json{{"inplace", true}});
  x = b.module("classifier.2", "linear", x, Json{{"in_features", 1024}, {"out_features", 1024}});
  x = b.module("classifier.3", "relu", x, Json{{"inplace", true}});
  x = b.module("last_layer", "linear", x,
               Json{{"in_features", 1024}, {"out_features", o.n_classes}});
  return b.finish(x);
}

}  // namespace chop::models
