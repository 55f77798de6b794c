// Verifier: shapes flow through every zoo model; broken edges and inconsistent widths are
// reported with the node's name.
#include <gtest/gtest.h>

#include "core/error.h"
#include "graph/verify.h"
#include "models/zoo.h"

namespace chop::graph {

static std::string error_of(const Graph& g) {
  try {
    verify(g, {8, 16});
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(Verify, InfersShapes) {
  auto shapes = verify(models::build_jsc_tiny({}), {8, 16});
  EXPECT_EQ(shapes.back(), (Shape{8, 5}));
  models::ModelOptions o;
  o.image_input = true;
  o.n_classes = 10;
  auto vshapes = verify(models::build_vgg7(o), {2, 3, 32, 32});
  EXPECT_EQ(vshapes.back(), (Shape{2, 10}));
}

TEST(Verify, RejectsWrongInFeatures) {
  Graph g = models::build_jsc_toy({});
  g.node("seq_blocks_5").attrs["in_features"] = 7;
  EXPECT_NE(error_of(g).find("seq_blocks_5"), std::string::npos) << error_of(g);
}

TEST(Verify, RejectsDanglingEdge) {
  Graph g = models::build_jsc_tiny({});
  g.node("seq_blocks_2").inputs = {"nowhere"};
  std::string e = error_of(g);
  EXPECT_NE(e.find("seq_blocks_2"), std::string::npos);
  EXPECT_NE(e.find("nowhere"), std::string::npos);
}

TEST(Verify, RejectsParamShapeMismatch) {
  Graph g = models::build_jsc_tiny({});
  g.node("seq_blocks_2").attrs["out_features"] = 6;
  EXPECT_NE(error_of(g).find("weight"), std::string::npos);
}

// A zero stride (a fuzz finding, from an ONNX Conv) divided by zero in the shape rule: the
// attribute check names it, and the shape rules refuse it themselves too.
TEST(Verify, RejectsWindowAttributesPyTorchRefuses) {
  models::ModelOptions o;
  o.image_input = true;
  o.n_classes = 10;
  for (const char* key : {"stride", "kernel_size", "dilation", "padding"}) {
    for (const char* node : {"feature_layers_0", "feature_layers_6"}) {  // conv2d, max_pool2d
      Graph g = models::build_vgg7(o);
      g.node(node).attrs[key] = std::string(key) == "padding" ? -1 : 0;
      std::string e;
      try {
        verify(g, {2, 3, 32, 32});
      } catch (const UserError& err) {
        e = err.what();
      }
      EXPECT_NE(e.find(node), std::string::npos) << key << ": " << e;
      EXPECT_NE(e.find(key), std::string::npos) << key << ": " << e;
    }
  }
}

}  // namespace chop::graph
