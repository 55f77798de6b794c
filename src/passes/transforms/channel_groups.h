// Width groups for redefine_channels: the sets of attributes (out_features, in_channels,
// num_features, a view's shape entry, ...) that must hold the same channel count because the
// dataflow connects them, plus why a group's width is pinned (model input, graph output, ...).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace chop::passes {

enum class WidthRole {
  kOut,       // linear out_features, conv out_channels: the node defines the group
  kIn,        // linear in_features (= channels x inner), conv in_channels
  kFeatures,  // batch_norm num_features, layer_norm normalized_shape[0]
  kView,      // a view's shape entry at `view_pos` (= channels x inner), unless it is -1
};

struct WidthMember {
  std::string node;
  WidthRole role;
  int64_t inner = 1;      // elements per channel in that dimension (H*W after a flatten)
  int64_t view_pos = -1;  // kView only
};

struct WidthGroup {
  int64_t channels = 0;  // the width the graph has now
  std::string producer;  // node whose output defines the group (a layer, or the placeholder)
  std::vector<WidthMember> members;
  std::string pinned_by;         // non-empty: why the width cannot change (first reason found)
  bool is_graph_output = false;  // pinned because it reaches the output node (n_classes)
};

struct ChannelGroups {
  std::vector<WidthGroup> groups;
  /// For every linear/conv1d/conv2d node: the group of its input channels and of its output.
  std::map<std::string, int> in_group;
  std::map<std::string, int> out_group;
};

/// True for the ops whose widths redefine_channels can change directly.
bool is_resizable_op(const std::string& mase_op);

/// Follows the dataflow from the placeholder to the output. Ops chop cannot see through
/// (matmul, an unusual view, a grouped convolution, ...) pin the groups they touch, so any
/// assignment of widths to unpinned groups keeps the graph valid. Runs graph::verify first.
ChannelGroups find_channel_groups(const graph::Graph& g);

}  // namespace chop::passes
