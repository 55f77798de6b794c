// The hardware-cost report `chop analyze` and `chop transform` print: QONNX's inference cost,
// the L0 LUT/DSP/BRAM estimate, HGQ's EBOPs (per layer and in total) and, for integer-quantized
// graphs, the accumulator widths of the bit-exact flow.
#pragma once

#include <iosfwd>

#include "graph/graph.h"
#include "passes/pass.h"

namespace chop::cli {

/// Runs inference_cost, resources, ebops and accumulator_widths with their defaults on `g`
/// (skipping any the pipeline already ran: its own table was printed) and prints their tables
/// and a one-line summary to `out`. CSVs go to pctx.save_dir when it is set.
void print_hardware_cost(graph::Graph& g, passes::PassContext& pctx, std::ostream& out);

}  // namespace chop::cli
