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

namespace chop::graph {

const char* kTiny =
    "graph tiny\n%x = placeholder[placeholder/placeholder]() {shape=[-1,16]}\n"
    "%fc = call_module[linear/module_related_func](%x) @fc {in_features=16, out_features=5, "
    "bias=false} params(weight[5,16])\n%output = output[output/output](%fc)\n";

std::string tiny_with(const std::string& from, const std::string& to) {
  std::string t = kTiny;
  t.replace(t.find(from), from.size(), to);
  return t;
}

void expect_line_error(const std::string& text, const std::string& mention,
                       std::optional<uint64_t> max_elements = std::nullopt) {
  try {
    parse_graph(text, "g.txt", max_elements);
    FAIL() << "expected a ConfigError mentioning " << mention;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("g.txt:"), std::string::npos) << e.what();
  }
}

TEST(GraphText, DeclaredTensorsAreBoundedBeforeAllocating) {
  EXPECT_NO_THROW(parse_graph(kTiny, "g.txt", 80));
  expect_line_error(kTiny, "weight", 79);  // the file holds 79 values: weight[5,16] cannot fit
  expect_line_error(tiny_with("weight[5,16]", "weight[50000,50000]"), "weight", 1000);
  expect_line_error(tiny_with("weight[5,16]", "weight[99999999999999999999,16]"), "weight");
  expect_line_error(tiny_with("weight[5,16]", "weight[-5,16]"), "weight");
  expect_line_error(tiny_with("weight[5,16]", "weight[4611686018427387904,4]"), "weight");
}

TEST(GraphText, AttributesAreTypedAtTheLine) {
  expect_line_error(tiny_with("in_features=16", "in_features=\"16\""), "in_features");
  expect_line_error(tiny_with("in_features=16", "in_features=0"), "in_features");
  expect_line_error(tiny_with("in_features=16", "in_features=1e300"), "in_features");
  expect_line_error(tiny_with("bias=false", "bias=1"), "bias");
  expect_line_error(tiny_with("{shape=[-1,16]}", "{shape=\"x\"}"), "shape");
  expect_line_error(tiny_with("= call_module", "= call_nothing"), "call_nothing");
}

TEST(GraphText, OptionalAttributesLeftOutTakeTheOpDefaults) {
  // The fuzzer's finding (fuzz/corpus/graph_text/finding_conv_without_dilation): a conv2d line
  // without `dilation` reached a JSON at() (exit 70). Left-out optional attributes take the op
  // table's defaults, as in graphs chop builds; a left-out required one is named by verify.
  const std::string conv =
      "graph c\n%x = placeholder[placeholder/placeholder]() {shape=[-1,1,4,4]}\n"
      "%conv = call_module[conv2d/module_related_func](%x) @conv {in_channels=1, "
      "out_channels=2, kernel_size=[3,3]} params(weight[2,1,3,3], bias[2])\n"
      "%output = output[output/output](%conv)\n";
  Graph g = parse_graph(conv, "g.txt");
  EXPECT_EQ(g.find("conv")->attrs["dilation"], 1);
  EXPECT_EQ(g.find("conv")->attrs["groups"], 1);
  EXPECT_EQ(verify(g, {2, 1, 4, 4}).back(), (Shape{2, 2, 2, 2}));
  std::string no_kernel = conv;
  no_kernel.replace(no_kernel.find(", kernel_size=[3,3]"), 19, "");
  try {
    verify(parse_graph(no_kernel, "g.txt"), {2, 1, 4, 4});
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("node conv: missing attribute 'kernel_size'"),
              std::string::npos)
        << e.what();
  }
}

TEST(GraphText, LongLinesDoNotExhaustTheStack) {
  // The parser is hand-written: no regex recursion proportional to the line length.
  std::string t = tiny_with("@fc", "@fc" + std::string(1 << 20, 'a'));
  EXPECT_EQ(parse_graph(t, "g.txt").nodes().size(), 3u);
  std::string inputs = "%x";
  for (int i = 0; i < 100000; ++i) inputs += ", %x";
  Graph g = parse_graph(tiny_with("](%x)", "](" + inputs + ")"), "g.txt");
  EXPECT_THROW(verify(g), UserError);  // a linear takes one input
}

TEST(GraphVerify, ParameterShapesMustMatchAttributes) {
  Graph g = parse_graph(tiny_with("params(weight[5,16])", "params(weight[])"), "g.txt");
  EXPECT_THROW(verify(g), UserError);
}

}  // namespace chop::graph
