// Text form: print -> parse -> print is the identity for every zoo model; malformed text fails
// with file:line.
#include <gtest/gtest.h>

#include "core/error.h"
#include "graph/dot.h"
#include "graph/text.h"
#include "graph/verify.h"
#include "models/zoo.h"

namespace chop::graph {

TEST(GraphText, RoundTripsEveryZooModel) {
  for (const auto& entry : models::model_registry()) {
    models::ModelOptions o;
    if (entry.input_kind == "image") {
      o.image_input = true;
      o.n_classes = 10;
    }
    Graph g = entry.build(o);
    std::string text = print_graph(g);
    Graph parsed = parse_graph(text, entry.name);
    EXPECT_EQ(print_graph(parsed), text) << entry.name;
    EXPECT_EQ(parsed.num_parameters(), g.num_parameters()) << entry.name;
    EXPECT_NO_THROW(verify(parsed)) << entry.name;
  }
}

TEST(GraphText, QuantConfigSurvivesRoundTrip) {
  Graph g = models::build_jsc_tiny({});
  g.node("seq_blocks_2").quant = std::make_shared<NodeQuant>();
  g.node("seq_blocks_2").quant->config = Json{{"name", "integer"}, {"weight_width", 8}};
  Graph parsed = parse_graph(print_graph(g));
  ASSERT_TRUE(parsed.node("seq_blocks_2").quant);
  EXPECT_EQ(parsed.node("seq_blocks_2").quant->config["weight_width"], 8);
}

TEST(GraphText, MalformedLineNamesFileAndLine) {
  try {
    parse_graph("graph m\n%x = placeholder[placeholder/placeholder]()\nbogus line\n", "m.txt");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("m.txt:3"), std::string::npos) << e.what();
  }
}

TEST(GraphDot, HasEdges) {
  std::string dot = to_dot(models::build_jsc_tiny({}));
  EXPECT_NE(dot.find("\"seq_blocks_1\" -> \"seq_blocks_2\""), std::string::npos);
}

}  // namespace chop::graph
