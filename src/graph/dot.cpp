// DOT export; see dot.h.
#include "graph/dot.h"

#include <sstream>

namespace chop::graph {

std::string to_dot(const Graph& g) {
  std::ostringstream os;
  os << "digraph \"" << g.model_name() << "\" {\n  rankdir=TB;\n  node [shape=record];\n";
  for (const auto& n : g.nodes()) {
    std::string label = n.name + "|" + n.mase_op;
    const auto& common = n.meta["common"];
    if (common.contains("results") && common["results"].contains("data_out_0")) {
      const auto& shape = common["results"]["data_out_0"].value("shape", Json::array());
      label += "|" + shape.dump();
    }
    if (n.quant) label += "|q:" + n.quant->config.value("name", std::string("?"));
    os << "  \"" << n.name << "\" [label=\"{" << label << "}\"];\n";
  }
  for (const auto& n : g.nodes())
    for (const auto& in : n.inputs) os << "  \"" << in << "\" -> \"" << n.name << "\";\n";
  os << "}\n";
  return os.str();
}

}  // namespace chop::graph
