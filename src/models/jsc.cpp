// MASE's jet-substructure models (models/physical/jet_substructure): jsc-tiny, jsc-toy, jsc-s,
// and lab 4's jsc-three-linear-layers. MASE's ReLUs are nn.ReLU(16), i.e. inplace=True.
#include "graph/builder.h"
#include "models/zoo.h"

namespace chop::models {
namespace {

using graph::GraphBuilder;
using graph::Json;

std::string bn(GraphBuilder& b, const std::string& target, const std::string& in, int64_t c) {
  return b.module(target, "batch_norm1d", in, Json{{"num_features", c}});
}
std::string relu(GraphBuilder& b, const std::string& target, const std::string& in) {
  return b.module(target, "relu", in, Json{{"inplace", true}});
}
std::string linear(GraphBuilder& b, const std::string& target, const std::string& in, int64_t i,
                   int64_t o) {
  return b.module(target, "linear", in, Json{{"in_features", i}, {"out_features", o}});
}
std::string at(const std::string& prefix, int i) {
  return prefix + "." + std::to_string(i);
}

}  // namespace

graph::Graph build_jsc_tiny(const ModelOptions& o) {
  GraphBuilder b("jsc-tiny", o.seed);
  std::string x = b.input("x", {o.in_features});
  x = bn(b, "seq_blocks.0", x, o.in_features);
  x = relu(b, "seq_blocks.1", x);
  x = linear(b, "seq_blocks.2", x, o.in_features, o.n_classes);
  x = relu(b, "seq_blocks.3", x);
  return b.finish(x);
}

graph::Graph build_jsc_toy(const ModelOptions& o) {
  GraphBuilder b("jsc-toy", o.seed);
  std::string x = b.input("x", {o.in_features});
  const std::string p = "seq_blocks";
  x = bn(b, at(p, 0), x, o.in_features);
  x = relu(b, at(p, 1), x);
  x = linear(b, at(p, 2), x, o.in_features, 8);
  x = bn(b, at(p, 3), x, 8);
  x = relu(b, at(p, 4), x);
  x = linear(b, at(p, 5), x, 8, 8);
  x = bn(b, at(p, 6), x, 8);
  x = relu(b, at(p, 7), x);
  x = linear(b, at(p, 8), x, 8, o.n_classes);
  x = bn(b, at(p, 9), x, o.n_classes);
  x = relu(b, at(p, 10), x);
  return b.finish(x);
}

// JSC_S keeps its layers in an nn.ModuleList iterated in forward(), so fx names are
// module_list_<i>.
graph::Graph build_jsc_s(const ModelOptions& o) {
  GraphBuilder b("jsc-s", o.seed);
  std::string x = b.input("x", {o.in_features});
  const std::string p = "module_list";
  int i = 0;
  x = bn(b, at(p, i++), x, o.in_features);
  x = relu(b, at(p, i++), x);
  x = linear(b, at(p, i++), x, o.in_features, 64);
  x = bn(b, at(p, i++), x, 64);
  x = relu(b, at(p, i++), x);
  int64_t prev = 64;
  for (int64_t w : {32, 32, 32}) {
    x = linear(b, at(p, i++), x, prev, w);
    x = relu(b, at(p, i++), x);
    prev = w;
  }
  x = linear(b, at(p, i++), x, prev, o.n_classes);
  x = bn(b, at(p, i++), x, o.n_classes);
  x = relu(b, at(p, i++), x);
  return b.finish(x);
}

graph::Graph build_jsc_three_linear_layers(const ModelOptions& o) {
  GraphBuilder b("jsc-three-linear-layers", o.seed);
  std::string x = b.input("x", {o.in_features});
  const std::string p = "seq_blocks";
  x = bn(b, at(p, 0), x, o.in_features);
  x = relu(b, at(p, 1), x);
  x = linear(b, at(p, 2), x, o.in_features, 16);
  x = relu(b, at(p, 3), x);
  x = linear(b, at(p, 4), x, 16, 16);
  x = relu(b, at(p, 5), x);
  x = linear(b, at(p, 6), x, 16, o.n_classes);
  x = relu(b, at(p, 7), x);
  return b.finish(x);
}

}  // namespace chop::models
