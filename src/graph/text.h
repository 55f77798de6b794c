// The stable text form of a graph (one line per node), for golden tests, `chop analyze --graph`
// and checkpoints. parse_graph(print_graph(g)) reproduces structure, attributes and tensor
// shapes (values are zero: weights travel separately in checkpoints).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "graph/graph.h"

namespace chop::graph {

/// Example line:
///   %seq_blocks_2 = call_module[linear/module_related_func](%seq_blocks_1) @seq_blocks.2
///       {in_features=16, out_features=5, bias=true} params(weight[5,16], bias[5])
std::string print_graph(const Graph& g);

/// Parses print_graph's output; `source` names the file in errors ("file:line: ...").
/// Quantization configs are restored in Node::quant->config; quantizers must be rebuilt by the
/// quantize layer (quant::attach_quantizers) before running. Attributes are checked
/// (graph/attrs.h). The declared tensors (allocated as zeros) may hold at most
/// `max_param_elements` values in total — what the file that carries their values can hold —
/// and must fit the memory budget; ConfigError at the line otherwise.
Graph parse_graph(const std::string& text, const std::string& source = "<text>",
                  std::optional<uint64_t> max_param_elements = std::nullopt);

}  // namespace chop::graph
