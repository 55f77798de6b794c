// Graphviz DOT export of a graph (node label: name, mase_op, output shape when known).
#pragma once

#include <string>

#include "graph/graph.h"

namespace chop::graph {

std::string to_dot(const Graph& g);

}  // namespace chop::graph
