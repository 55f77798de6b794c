// The op table rows of ops imported from users' ONNX models (graph/ops_imported.cpp); op_table()
// places them after log_softmax, where they have always stood.
#pragma once

#include <vector>

#include "graph/ops.h"

namespace chop::graph {

std::vector<OpSpec> imported_op_rows();

}  // namespace chop::graph
