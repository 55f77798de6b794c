// The quantize transform (MASE's quantize_transform_pass, mase.md §5): per-node configs by type,
// name or regex_name with a default fallback, NodeQuant quantizers built from chop_quant, node
// metadata updates, MASE's summary table and histogram, and attach_quantizers for graphs read
// back from text or checkpoints.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/table.h"
#include "graph/graph.h"
#include "passes/pass.h"
#include "quant/config.h"

namespace chop::passes {

/// Quantizer functions for one node (of op `mase_op`) from its parsed config (`config_json` is
/// kept as NodeQuant::config). A bypassed config gives a NodeQuant with no functions. `seed`
/// feeds the generator of stochastic binary quantizers. Deterministic weight/bias quantizers of
/// parameter-holding ops remember their last result for an unchanged, gradient-free tensor.
std::shared_ptr<graph::NodeQuant> make_node_quant(const quant::NodeQuantConfig& cfg,
                                                  const Json& config_json, uint64_t seed,
                                                  const std::string& mase_op);

/// MASE's update_quant_meta_param: sets common.args.<arg>.type / precision for every operand the
/// config quantizes (and binary's result override). Args absent from the metadata are skipped.
void update_quant_metadata(graph::Node& n, const quant::NodeQuantConfig& cfg);

/// Rebuilds every node's quantizers from node.quant->config (graphs parsed from text or loaded
/// from checkpoints) and refreshes their metadata. ConfigError names the node on a bad config.
void attach_quantizers(graph::Graph& g, uint64_t seed = 0);

/// MASE's summary: the per-node table (Ori name, New name, MASE_TYPE, Mase_OP, Original type,
/// Quantized type, Changed) and the histogram by original type (OP, Total, Changed, Unchanged).
struct QuantizeSummary {
  Table table;
  Table histogram;
  int n_changed = 0;
  int n_nodes = 0;
};

/// Class or function name of a node as MASE's summary prints it: "Linear", "LinearInteger",
/// "add", "add_integer", the target for placeholder/output.
std::string quantized_type_name(const graph::Node& n);

/// Quantizes `g` in place with a [passes.quantize] table (`by` required; other keys are node
/// tables holding a `config` table). Errors name the TOML location (ctx.locate), the node and
/// the key. Returns the summary comparing against the graph as it was before.
QuantizeSummary quantize_graph(graph::Graph& g, const Json& quant_table, PassContext& ctx);

}  // namespace chop::passes
