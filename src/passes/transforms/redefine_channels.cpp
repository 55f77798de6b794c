// redefine_channels: turns per-node multipliers into one new width per width group (checking
// conflicts and pinned widths before touching the graph), then rewrites attributes and weights.
#include "passes/transforms/redefine_channels.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "graph/attrs.h"
#include "graph/ops.h"
#include "graph/verify.h"
#include "passes/transforms/channel_groups.h"

namespace chop::passes {
namespace {

using graph::Node;

// One width asked of a group by one side of one node.
struct Want {
  int64_t channels;
  double multiplier;
  RequestLevel level;
  std::string node, side, key;
};

const char* level_word(RequestLevel l) {
  switch (l) {
    case RequestLevel::kDefault:
      return "default";
    case RequestLevel::kType:
      return "by-type";
    case RequestLevel::kName:
      return "by-name";
  }
  return "?";
}

std::string describe(const Want& w, int64_t before) {
  return "node " + w.node + " asks its " + w.side + " x" + format_double(w.multiplier) + " (" +
         std::to_string(before) + " -> " + std::to_string(w.channels) + " channels, " +
         level_word(w.level) + " entry '" + w.key + "')";
}

// Checked in double before the conversion: 1e300 channels must be refused, not wrapped.
int64_t scaled(int64_t channels, double m, const std::string& where, const std::string& node) {
  const double w = std::round(static_cast<double>(channels) * m);
  if (!(w <= static_cast<double>(graph::kMaxAttrSize)))
    throw ConfigError(where, "node " + node + ": channel multiplier x" + format_double(m) +
                                 " turns " + std::to_string(channels) + " channels into " +
                                 format_double(w) + ", more than the " +
                                 std::to_string(graph::kMaxAttrSize) + " a layer may have");
  return std::max<int64_t>(1, static_cast<int64_t>(w));
}

// Repeats (or cuts) dimension `dim` channel by channel: new index c*inner+s reads old index
// (c mod C_old)*inner+s.
at::Tensor tile_dim(const at::Tensor& t, int64_t dim, int64_t new_size, int64_t inner) {
  int64_t old_channels = t.size(dim) / inner;
  auto i = at::arange(new_size, at::kLong);
  auto idx = (i.div(inner, "floor").remainder(old_channels)) * inner + i.remainder(inner);
  return t.index_select(dim, idx.to(t.device()));
}

at::Tensor inherit(const at::Tensor& old, const at::Tensor& fresh, int64_t dim1_inner) {
  if (old.dim() != fresh.dim()) return fresh;  // cannot happen for the resizable ops
  at::Tensor t = old.detach();
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.size(d) != fresh.size(d)) t = tile_dim(t, d, fresh.size(d), d == 1 ? dim1_inner : 1);
  return t.clone();
}

// Re-creates the node's tensors for its new attributes, keeping device/dtype/requires_grad.
void rebuild_tensors(Node& n, bool inherit_weights, int64_t in_inner, at::Generator& gen) {
  graph::NamedTensors old_params = n.params, old_buffers = n.buffers;
  graph::init_node_params(n, gen);
  auto adopt = [&](graph::NamedTensors& fresh, const graph::NamedTensors& old) {
    for (auto& [name, t] : fresh) {
      for (const auto& [old_name, o] : old) {
        if (old_name != name) continue;
        at::Tensor v = t;
        if (inherit_weights) v = o.dim() == 0 ? o.detach().clone() : inherit(o, t, in_inner);
        v = v.to(o.device(), o.scalar_type()).detach();
        if (o.requires_grad()) v.set_requires_grad(true);
        t = v;
      }
    }
  };
  at::NoGradGuard no_grad;
  adopt(n.params, old_params);
  adopt(n.buffers, old_buffers);
}

const ChannelRequest* pick(const RedefineChannelsOptions& o, const Node& n) {
  auto it = o.entries.find(o.by == "name" ? n.name : n.mase_op);
  if (it != o.entries.end()) return &it->second;
  return o.default_request ? &*o.default_request : nullptr;
}

void check_entries(const graph::Graph& g, const RedefineChannelsOptions& o,
                   const std::function<std::string(const std::string&)>& at) {
  std::vector<std::string> candidates;
  if (o.by == "name") {
    for (const auto& n : g.nodes())
      if (is_resizable_op(n.mase_op)) candidates.push_back(n.name);
  } else {
    candidates = {"linear", "conv1d", "conv2d"};
  }
  for (const auto& [key, req] : o.entries) {
    bool asks = req.scale.in || req.scale.out;
    if (o.by == "name") {
      const Node* n = g.find(key);
      if (!n)
        throw ConfigError(at(key), "graph '" + g.model_name() + "' has no node '" + key + "'" +
                                       did_you_mean(key, candidates) +
                                       "; nodes that take multipliers: " + list_of(candidates));
      if (asks && !is_resizable_op(n->mase_op))
        throw ConfigError(at(key), "node " + key + " is a " + n->mase_op +
                                       "; only linear, conv1d and conv2d nodes take multipliers "
                                       "(norms, activations, pools and views follow their "
                                       "producer automatically)");
    } else if (asks && !is_resizable_op(key)) {
      throw ConfigError(at(key), "redefine_channels resizes by type only " + list_of(candidates) +
                                     ", not '" + key + "'" + did_you_mean(key, candidates));
    }
  }
}

int64_t in_width(const Node& n) {
  return n.mase_op == "linear" ? n.attr_int("in_features") : n.attr_int("in_channels");
}
int64_t out_width(const Node& n) {
  return n.mase_op == "linear" ? n.attr_int("out_features") : n.attr_int("out_channels");
}

}  // namespace

RedefineChannelsResult redefine_channels(
    graph::Graph& g, const RedefineChannelsOptions& opts, uint64_t seed, const std::string& where,
    const std::function<std::string(const std::string&)>& locate) {
  auto at = [&](const std::string& key) {
    if (locate) return locate(key);
    return where.empty() ? key : where + "." + key;
  };
  check_entries(g, opts, at);
  ChannelGroups groups = find_channel_groups(g);
  RedefineChannelsResult result;
  result.params_before = g.num_parameters();

  // 1. Collect the widths each group is asked for.
  std::map<int, std::vector<Want>> wants;
  for (const auto& n : g.nodes()) {
    if (!is_resizable_op(n.mase_op)) continue;
    const ChannelRequest* r = pick(opts, n);
    if (!r) continue;
    for (const auto& m : {r->scale.in, r->scale.out})
      if (m && !(*m > 0 && std::isfinite(*m)))
        throw ConfigError(at(r->key), "node " + n.name +
                                          ": channel multipliers must be "
                                          "positive numbers, got " +
                                          format_double(*m));
    if (r->scale.out) {
      int gi = groups.out_group.at(n.name);
      wants[gi].push_back(Want{scaled(groups.groups[gi].channels, *r->scale.out, at(r->key), n.name), *r->scale.out,
                               r->level, n.name, "output", r->key});
    }
    if (r->scale.in) {
      int gi = groups.in_group.at(n.name);
      wants[gi].push_back(Want{scaled(groups.groups[gi].channels, *r->scale.in, at(r->key), n.name), *r->scale.in,
                               r->level, n.name, "input", r->key});
    }
  }

  // 2. One width per group: the strongest level wins, equals must agree, pinned stays.
  std::map<int, int64_t> new_width;
  for (const auto& [gi, list] : wants) {
    const WidthGroup& grp = groups.groups[gi];
    RequestLevel top = RequestLevel::kDefault;
    for (const auto& w : list) top = std::max(top, w.level);
    const Want* first = nullptr;
    for (const auto& w : list) {
      if (w.level != top) continue;
      if (!first) {
        first = &w;
      } else if (w.channels != first->channels) {
        throw ConfigError(at(w.key), "conflicting widths for the tensor that " + grp.producer +
                                         " produces: " + describe(*first, grp.channels) + ", but " +
                                         describe(w, grp.channels) +
                                         "; make the two multipliers agree or leave one side "
                                         "unset (it then follows the other)");
      }
    }
    for (const auto& w : list)
      if (w.level != top && w.channels != first->channels)
        result.ignored.push_back(w.node + ": " + w.side + " x" + format_double(w.multiplier) +
                                 " (" + level_word(w.level) + ") overridden by node " +
                                 first->node + "'s " + level_word(top) + " entry");
    if (first->channels == grp.channels) continue;
    if (!grp.pinned_by.empty()) {
      std::string why = "the " + first->side + " width of node " + first->node + " (" +
                        std::to_string(grp.channels) + " channels) cannot change: " + grp.pinned_by;
      if (top == RequestLevel::kName) {
        std::string hint =
            grp.is_graph_output ? "; use name = \"input_only\" or drop channel_multiplier_out" : "";
        throw ConfigError(at(first->key), why + hint);
      }
      result.ignored.push_back(first->node + ": " + first->side + " x" +
                               format_double(first->multiplier) + " (" + level_word(top) +
                               ") skipped, " + why);
      continue;
    }
    new_width[gi] = first->channels;
  }

  // 3. Rewrite attributes (no errors past this point), then tensors.
  std::map<std::string, ResizedNode> touched;
  std::map<std::string, int64_t> in_inner;
  for (const auto& [gi, width] : new_width) {
    for (const auto& m : groups.groups[gi].members) {
      Node& n = g.node(m.node);
      ResizedNode& r = touched[n.name];
      if (r.name.empty()) {
        r.name = n.name;
        r.mase_op = n.mase_op;
        if (is_resizable_op(n.mase_op)) {
          r.in_before = r.in_after = in_width(n);
          r.out_before = r.out_after = out_width(n);
        }
      }
      const bool linear = n.mase_op == "linear";
      switch (m.role) {
        case WidthRole::kOut:
          n.attrs[linear ? "out_features" : "out_channels"] = width;
          r.out_after = width;
          break;
        case WidthRole::kIn:
          n.attrs[linear ? "in_features" : "in_channels"] = width * m.inner;
          r.in_after = width * m.inner;
          in_inner[n.name] = m.inner;
          break;
        case WidthRole::kFeatures: {
          const char* key = n.mase_op == "layer_norm" ? "normalized_shape" : "num_features";
          r.in_before = r.out_before = groups.groups[gi].channels;
          r.in_after = r.out_after = width;
          n.attrs[key] = n.mase_op == "layer_norm" ? Json::array({width}) : Json(width);
          break;
        }
        case WidthRole::kView: {
          Json& entry = n.attrs["shape"][m.view_pos];
          r.in_before = r.out_before = groups.groups[gi].channels * m.inner;
          r.in_after = r.out_after = width * m.inner;
          if (entry.get<int64_t>() != -1) entry = width * m.inner;
          break;
        }
      }
    }
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& n : g.nodes()) {
    auto it = touched.find(n.name);
    if (it == touched.end()) continue;
    if (!n.params.empty() || !n.buffers.empty())
      rebuild_tensors(n, opts.inherit_weights, in_inner.count(n.name) ? in_inner[n.name] : 1, gen);
    result.resized.push_back(it->second);
  }
  if (result.changed()) {
    // Shapes in MASE metadata are stale now; analysis passes re-create it on demand.
    g.meta()["common"] = Json::object();
    g.meta()["software"] = Json::object();
    for (auto& n : g.nodes()) {
      n.meta["common"] = Json::object();
      n.meta["software"] = Json::object();
    }
    try {
      graph::verify(g);
    } catch (const Error& e) {
      CHOP_ASSERT(false, std::string("redefine_channels left an invalid graph: ") + e.what());
    }
  }
  result.params_after = g.num_parameters();
  return result;
}

RedefineChannelsResult redefine_channels(graph::Graph& g, const Json& config, uint64_t seed,
                                         const std::string& where) {
  return redefine_channels(g, parse_redefine_channels_config(config, where), seed, where);
}

std::vector<ResizableNode> resizable_nodes(const graph::Graph& g) {
  ChannelGroups groups = find_channel_groups(g);
  std::vector<ResizableNode> out;
  for (const auto& n : g.nodes()) {
    if (!is_resizable_op(n.mase_op)) continue;
    out.push_back(ResizableNode{n.name, n.mase_op, in_width(n), out_width(n),
                                groups.groups[groups.out_group.at(n.name)].pinned_by.empty(),
                                groups.groups[groups.in_group.at(n.name)].pinned_by.empty()});
  }
  return out;
}

graph::Graph with_channel_multipliers(const graph::Graph& g,
                                      const std::map<std::string, ChannelScale>& per_node,
                                      uint64_t seed, bool inherit_weights) {
  RedefineChannelsOptions opts;
  opts.inherit_weights = inherit_weights;
  for (const auto& [name, scale] : per_node)
    opts.entries[name] = ChannelRequest{scale, RequestLevel::kName, name};
  graph::Graph out = g.clone();
  redefine_channels(out, opts, seed, "channel multipliers");
  return out;
}

graph::Graph with_uniform_channel_multiplier(const graph::Graph& g, double multiplier,
                                             uint64_t seed, bool inherit_weights) {
  if (!(multiplier > 0) || !std::isfinite(multiplier))
    throw UserError("the uniform channel multiplier must be a positive number, got " +
                    format_double(multiplier));
  RedefineChannelsOptions opts;
  opts.inherit_weights = inherit_weights;
  opts.default_request =
      ChannelRequest{ChannelScale{multiplier, multiplier}, RequestLevel::kDefault, "default"};
  graph::Graph out = g.clone();
  redefine_channels(out, opts, seed, "uniform channel multiplier");
  return out;
}

}  // namespace chop::passes
