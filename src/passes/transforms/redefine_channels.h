// The redefine_channels transform (MASE lab 4's redefine_linear_transform_pass, generalised to
// conv nets): per-node channel multipliers, automatic consistency along the dataflow, fresh or
// inherited weights. Semantics in docs/redefine_channels.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace chop::passes {

using Json = nlohmann::ordered_json;

/// What one node asks for: multipliers of its input and/or output width (unset: follow).
struct ChannelScale {
  std::optional<double> in;
  std::optional<double> out;
};

/// How strongly a request binds: a node's own entry beats a by-type entry beats `default`.
enum class RequestLevel { kDefault = 0, kType = 1, kName = 2 };

struct ChannelRequest {
  ChannelScale scale;
  RequestLevel level = RequestLevel::kName;
  std::string key;  // config key path of the entry ("seq_blocks_2.config"), for errors
};

struct RedefineChannelsOptions {
  std::string by = "name";  // "name" or "type" (mase_op), as MASE's pass configs
  std::optional<ChannelRequest> default_request;
  std::map<std::string, ChannelRequest> entries;  // node name (by name) or mase_op (by type)
  /// false: resized layers get PyTorch's default initialisation from `seed`; true: old
  /// weights are tiled/sliced per channel (see docs).
  bool inherit_weights = false;
};

/// One resized node: widths before and after ({} for nodes without in/out attributes).
struct ResizedNode {
  std::string name;
  std::string mase_op;
  int64_t in_before = 0, in_after = 0, out_before = 0, out_after = 0;
};

struct RedefineChannelsResult {
  std::vector<ResizedNode> resized;  // graph order; includes followers (BatchNorm, view, ...)
  /// Lower-level requests that lost to a higher one, or `default`/by-type requests on the
  /// model input / graph output, which are skipped: "node: why".
  std::vector<std::string> ignored;
  int64_t params_before = 0, params_after = 0;
  bool changed() const { return !resized.empty(); }
  Json info() const;  // for the pass registry / reports
};

/// Parses a MASE-style config: {"by": "name"|"type", "default": {...}, "<node or type>": {...},
/// "inherit_weights": bool}; each entry is {"config": {...}} or the inner table itself, with
/// name = output_only|both|input_only + channel_multiplier, and/or channel_multiplier_in /
/// channel_multiplier_out (parent_block_name accepted, ignored). `locate(key_path)` renders
/// error locations (null: `where` + "." + key path). Throws ConfigError.
RedefineChannelsOptions parse_redefine_channels_config(
    const Json& config, const std::string& where,
    const std::function<std::string(const std::string&)>& locate = nullptr);

/// Resizes `g` in place. Throws ConfigError (naming the node and config key) for an unknown
/// node/type, a request on a width that is pinned (model input, number of classes, an op chop
/// cannot see through), or two requests that disagree about one shared width (naming both
/// nodes). On error `g` is unchanged.
RedefineChannelsResult redefine_channels(
    graph::Graph& g, const RedefineChannelsOptions& opts, uint64_t seed, const std::string& where,
    const std::function<std::string(const std::string&)>& locate = nullptr);
/// Convenience: parse + run.
RedefineChannelsResult redefine_channels(graph::Graph& g, const Json& config, uint64_t seed,
                                         const std::string& where);

// ---- Helpers for search spaces (one call per trial) ---------------------------------------

/// The linear/conv nodes and whether their output width may change (false: it feeds the graph
/// output or an op chop cannot follow). A search space should sample multipliers for these.
struct ResizableNode {
  std::string name;
  std::string mase_op;
  int64_t in_width = 0, out_width = 0;  // channels (in_features of a Linear after a flatten
                                        // counts channels x H x W)
  bool out_resizable = false;
  bool in_resizable = false;
};
std::vector<ResizableNode> resizable_nodes(const graph::Graph& g);

/// A copy of `g` with per-node multipliers (all at the explicit level, so disagreeing in/out
/// requests are errors; giving only `out` per node never conflicts).
graph::Graph with_channel_multipliers(const graph::Graph& g,
                                      const std::map<std::string, ChannelScale>& per_node,
                                      uint64_t seed, bool inherit_weights = false);
/// A copy of `g` with every hidden width (all but the model input and the graph output)
/// multiplied by `multiplier`.
graph::Graph with_uniform_channel_multiplier(const graph::Graph& g, double multiplier,
                                             uint64_t seed, bool inherit_weights = false);

}  // namespace chop::passes
