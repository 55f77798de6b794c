// The types and ranges of node attributes (in_features, kernel_size, bias, eps, ...), checked
// before any pass, kernel or initialiser reads them: attributes may come from a user's file
// (graph text in checkpoints and transform folders), and a wrong type must be a message naming
// the node, never an exception from the JSON library or an allocation of absurd size.
#pragma once

#include <cstdint>
#include <optional>

#include "graph/node.h"

namespace chop::graph {

/// Largest layer size (features, channels, kernel) an attribute may hold: 2^31 - 1.
constexpr int64_t kMaxAttrSize = 2147483647;

/// Throws UserError naming the node and the attribute whose type or range is wrong (unknown
/// attribute names are left alone: no op reads them).
void check_node_attrs(const Node& n);

/// Elements of the parameters and buffers the op table would create for `n` from its
/// attributes; nullopt on overflow. Call after check_node_attrs.
std::optional<uint64_t> param_elements(const Node& n);

}  // namespace chop::graph
