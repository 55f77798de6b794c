// MASE's per-layer cost model (calc_modules.py, mase.md §6.4), shared by the flops and bitops
// passes and the search's hw runners. "computations" are MASE's: multiply-accumulates for
// linear/conv, element operations otherwise; input/output sizes include the batch.
#pragma once

#include <cstdint>

#include "graph/node.h"

namespace chop::passes {

struct LayerCost {
  int64_t total_parameters = 0;
  int64_t computations = 0;
  int64_t backward_computations = 0;
  int64_t input_buffer_size = 0;
  int64_t output_buffer_size = 0;
  bool counted = true;  // false: an op with no compute (placeholder, output, flatten, view)
};

/// Cost of one node from its common metadata (add_common_metadata must have run).
LayerCost layer_cost(const graph::Node& n);

}  // namespace chop::passes
