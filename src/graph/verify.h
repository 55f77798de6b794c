// Structural checks on a graph: unique names, edges to earlier nodes, known ops with their
// attributes, parameter shapes that match attributes, and consistent shapes end to end.
#pragma once

#include "graph/graph.h"
#include "graph/ops.h"

namespace chop::graph {

/// Throws UserError naming the first offending node. Returns the inferred output shape of every
/// node (in graph order) for `input_shape` (batch included); the placeholder's own shape
/// attribute (with -1 as batch) is used when `input_shape` is empty.
std::vector<Shape> verify(const Graph& g, const Shape& input_shape = {});

}  // namespace chop::graph
