// Helpers over MASE's node metadata layout (mase.md §6.2) shared by the analysis passes:
// common.args / common.results entries, shapes, precisions and operand bit widths.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/pass.h"

namespace chop::passes {

/// "torch.float32" etc., as MASE stores torch_dtype.
std::string torch_dtype_name(at::ScalarType t);

/// True once add_common_metadata has run on the graph (graph meta common.nodes_in exists).
bool has_common_metadata(const graph::Graph& g);
/// Runs add_common_metadata (default options) unless the graph already has it.
void ensure_common_metadata(graph::Graph& g, PassContext& ctx);

/// node.meta.common.args[name] or null.
const Json* common_arg(const graph::Node& n, const std::string& name);
/// Shape of a common arg/result ("data_in_0", "weight", ...); empty when absent.
std::vector<int64_t> arg_shape(const graph::Node& n, const std::string& name);
std::vector<int64_t> result_shape(const graph::Node& n);
int64_t numel(const std::vector<int64_t>& shape);

/// Bit width of an operand from its metadata precision (first entry); 32 for float or absent.
int operand_width(const graph::Node& n, const std::string& arg);
/// True when the arg's metadata type is not "float" (the quantize pass set it).
bool operand_quantized(const graph::Node& n, const std::string& arg);

/// Names of a node's tensor inputs in MASE's order: data_in_0..k then params then buffers.
std::vector<std::string> data_in_names(const graph::Node& n);

/// Renders a JSON value compactly for report tables (strings unquoted).
std::string cell_text(const Json& v);

}  // namespace chop::passes
