// Width-group discovery for redefine_channels; see channel_groups.h.
#include "passes/transforms/channel_groups.h"

#include <numeric>

#include "core/error.h"
#include "graph/ops.h"
#include "graph/verify.h"

namespace chop::passes {
namespace {

using graph::Node;
using graph::Shape;

// Where a tensor's channels live: dimension `axis` holds channels x inner elements of group
// `group` (channel-major, as PyTorch's flatten/view lays out NCHW). group < 0: not tracked.
struct Flow {
  int group = -1;
  int64_t axis = 1;
  int64_t inner = 1;
};

// Elementwise ops, and softmax: it normalises over whatever width it is given.
bool is_pass_through(const std::string& op) {
  return op == "relu" || op == "relu6" || op == "hardtanh" || op == "sigmoid" || op == "dropout" ||
         op == "leaky_relu" || op == "tanh" || op == "identity" || op == "softmax" ||
         op == "log_softmax" || op == "elu" || op == "selu" || op == "hardsigmoid" ||
         op == "hardswish" || op == "softplus" || op == "erf" || op == "pow" || op == "gelu" ||
         op == "abs" || op == "neg" || op == "exp" || op == "log";
}
bool is_pool(const std::string& op) {
  return op == "max_pool2d" || op == "avg_pool2d" || op == "adaptive_avg_pool2d" ||
         op == "max_pool1d" || op == "avg_pool1d" || op == "adaptive_avg_pool1d" ||
         op == "upsample";
}

class Finder {
 public:
  explicit Finder(const graph::Graph& g) : g_(g) {}

  ChannelGroups run() {
    Shape input = g_.nodes().front().attrs.value("shape", Shape{});
    for (auto& d : input)
      if (d < 0) d = 1;
    std::vector<Shape> shapes = graph::verify(g_, input);
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      shape_[g_.nodes()[i].name] = shapes[i];
      visit(g_.nodes()[i]);
    }
    return compact();
  }

 private:
  int new_group(int64_t channels, const std::string& producer) {
    raw_.push_back(WidthGroup{channels, producer, {}, "", false});
    parent_.push_back(static_cast<int>(raw_.size()) - 1);
    return static_cast<int>(raw_.size()) - 1;
  }
  int find(int g) {
    while (parent_[g] != g) g = parent_[g] = parent_[parent_[g]];
    return g;
  }
  void pin(int g, const std::string& why, bool graph_output = false) {
    if (g < 0) return;
    WidthGroup& w = raw_[find(g)];
    if (w.pinned_by.empty()) w.pinned_by = why;
    w.is_graph_output |= graph_output;
  }
  void add(int g, WidthMember m) { raw_[find(g)].members.push_back(std::move(m)); }
  void unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    parent_[b] = a;
    WidthGroup &wa = raw_[a], &wb = raw_[b];
    wa.members.insert(wa.members.end(), wb.members.begin(), wb.members.end());
    if (wa.pinned_by.empty()) wa.pinned_by = wb.pinned_by;
    wa.is_graph_output |= wb.is_graph_output;
  }

  Flow in_flow(const Node& n, size_t i = 0) const {
    auto it = flow_.find(n.inputs.at(i));
    return it == flow_.end() ? Flow{} : it->second;
  }
  const Shape& in_shape(const Node& n, size_t i = 0) const { return shape_.at(n.inputs.at(i)); }
  std::string who(const Node& n) const { return "node " + n.name + " (" + n.mase_op + ")"; }

  // The group the layer's input width belongs to (channels along `axis`, spread over `inner`
  // elements each unless `plain`); an input chop cannot follow gets its own pinned group.
  int input_group(const Node& n, const Flow& f, int64_t axis, int64_t width, bool plain) {
    if (f.group >= 0 && f.axis == axis && (!plain || f.inner == 1)) return f.group;
    pin(f.group, who(n) + " reads these channels along another dimension");
    int g = new_group(width, n.inputs.at(0));
    pin(g, who(n) + "'s input comes from " + n.inputs.at(0) +
               ", whose channel dimension chop does not track");
    return g;
  }

  void visit(const Node& n) {
    const std::string& op = n.mase_op;
    const Shape& out = shape_.at(n.name);
    int64_t rank_out = static_cast<int64_t>(out.size());
    if (op == "placeholder") {
      if (rank_out < 2) return;
      int g = new_group(out[1], n.name);
      pin(g, "it is the model input " + n.name);
      flow_[n.name] = Flow{g, 1, 1};
    } else if (op == "output") {
      for (size_t i = 0; i < n.inputs.size(); ++i)
        pin(in_flow(n, i).group, "it is the graph output (the loss expects that many classes)",
            true);
    } else if (op == "linear") {
      Flow f = in_flow(n);
      int64_t last = static_cast<int64_t>(in_shape(n).size()) - 1;
      int in = input_group(n, f, last, n.attr_int("in_features"), false);
      add(in, WidthMember{n.name, WidthRole::kIn, in == f.group ? f.inner : 1});
      in_group_[n.name] = in;
      int g = new_group(n.attr_int("out_features"), n.name);
      add(g, WidthMember{n.name, WidthRole::kOut});
      out_group_[n.name] = g;
      flow_[n.name] = Flow{g, rank_out - 1, 1};
    } else if (op == "conv1d" || op == "conv2d") {
      Flow f = in_flow(n);
      int in = input_group(n, f, 1, n.attr_int("in_channels"), true);
      add(in, WidthMember{n.name, WidthRole::kIn});
      in_group_[n.name] = in;
      int g = new_group(n.attr_int("out_channels"), n.name);
      add(g, WidthMember{n.name, WidthRole::kOut});
      out_group_[n.name] = g;
      if (n.attrs.value("groups", int64_t{1}) != 1) {
        pin(in, who(n) + " is a grouped convolution");
        pin(g, who(n) + " is a grouped convolution");
      }
      flow_[n.name] = Flow{g, 1, 1};
    } else if (op == "batch_norm1d" || op == "batch_norm2d" || op == "layer_norm") {
      Flow f = in_flow(n);
      bool ln = op == "layer_norm";
      bool tied =
          f.group >= 0 && f.inner == 1 &&
          (ln ? f.axis == rank_out - 1 && n.attrs["normalized_shape"].size() == 1 : f.axis == 1);
      if (tied)
        add(f.group, WidthMember{n.name, WidthRole::kFeatures});
      else
        pin(f.group, who(n) + " normalises over dimensions that include these channels");
      flow_[n.name] = f;
    } else if (is_pass_through(op)) {
      flow_[n.name] = in_flow(n);
    } else if (is_pool(op)) {
      Flow f = in_flow(n);
      if (f.group >= 0 && f.axis == 1)
        flow_[n.name] = f;
      else
        pin(f.group, who(n) + " pools along the channel dimension");
    } else if (op == "flatten") {
      visit_flatten(n);
    } else if (op == "view") {
      visit_view(n);
    } else if (op == "add" || op == "sub" || op == "mul" || op == "div" || op == "maximum" ||
               op == "minimum") {
      visit_elementwise(n);
    } else {
      for (size_t i = 0; i < n.inputs.size(); ++i)
        pin(in_flow(n, i).group, who(n) + " is not width-aware");
    }
  }

  void visit_flatten(const Node& n) {
    Flow f = in_flow(n);
    if (f.group < 0) return;
    const Shape& s = in_shape(n);
    int64_t r = static_cast<int64_t>(s.size());
    int64_t start = n.attrs.value("start_dim", int64_t{1}), end = n.attrs.value("end_dim", -1);
    if (start < 0) start += r;
    if (end < 0) end += r;
    if (f.axis < start) {
      flow_[n.name] = f;
    } else if (f.axis > end) {
      flow_[n.name] = Flow{f.group, f.axis - (end - start), f.inner};
    } else {
      int64_t inner = f.inner;
      for (int64_t d = f.axis + 1; d <= end; ++d) inner *= s[d];
      if (f.axis != start) pin(f.group, who(n) + " merges dimensions before the channels");
      flow_[n.name] = Flow{f.group, start, inner};
    }
  }

  // Supported: views that keep the dimensions before the channels and merge the channels with
  // everything after them (x.view(-1, C*H*W)), or keep the shape unchanged.
  void visit_view(const Node& n) {
    Flow f = in_flow(n);
    if (f.group < 0) return;
    const Shape& s = in_shape(n);
    const Shape& out = shape_.at(n.name);
    if (s == out) {
      flow_[n.name] = f;
      return;
    }
    bool prefix_kept = static_cast<int64_t>(out.size()) == f.axis + 1;
    for (int64_t d = 0; prefix_kept && d < f.axis; ++d) prefix_kept = s[d] == out[d];
    if (!prefix_kept) {
      pin(f.group, who(n) + " reshapes the channels in a way chop cannot follow");
      return;
    }
    int64_t inner = f.inner;
    for (size_t d = f.axis + 1; d < s.size(); ++d) inner *= s[d];
    add(f.group, WidthMember{n.name, WidthRole::kView, inner, f.axis});
    flow_[n.name] = Flow{f.group, f.axis, inner};
  }

  // A scalar (a constant like the 2 of x * 2, or any one-element tensor) broadcasts over any
  // width, so it neither ties nor pins the other operand's channels.
  bool is_scalar(const Node& n, size_t i) const {
    for (int64_t d : in_shape(n, i))
      if (d != 1) return false;
    return true;
  }

  void visit_elementwise(const Node& n) {
    if (n.inputs.size() == 2 && (is_scalar(n, 0) || is_scalar(n, 1))) {
      flow_[n.name] = in_flow(n, is_scalar(n, 0) ? 1 : 0);
      return;
    }
    Flow a = in_flow(n, 0), b = n.inputs.size() > 1 ? in_flow(n, 1) : Flow{};
    if (a.group >= 0 && b.group >= 0 && a.axis == b.axis && a.inner == b.inner &&
        in_shape(n, 0).size() == in_shape(n, 1).size()) {
      unite(a.group, b.group);
      flow_[n.name] = Flow{find(a.group), a.axis, a.inner};
      return;
    }
    pin(a.group, who(n) + " combines these channels with an untracked tensor");
    pin(b.group, who(n) + " combines these channels with an untracked tensor");
  }

  ChannelGroups compact() {
    ChannelGroups out;
    std::map<int, int> index;
    for (int g = 0; g < static_cast<int>(raw_.size()); ++g) {
      if (find(g) != g) continue;
      index[g] = static_cast<int>(out.groups.size());
      out.groups.push_back(raw_[g]);
    }
    for (const auto& [name, g] : in_group_) out.in_group[name] = index.at(find(g));
    for (const auto& [name, g] : out_group_) out.out_group[name] = index.at(find(g));
    return out;
  }

  const graph::Graph& g_;
  std::vector<WidthGroup> raw_;
  std::vector<int> parent_;
  std::map<std::string, Shape> shape_;
  std::map<std::string, Flow> flow_;
  std::map<std::string, int> in_group_, out_group_;
};

}  // namespace

bool is_resizable_op(const std::string& mase_op) {
  return mase_op == "linear" || mase_op == "conv1d" || mase_op == "conv2d";
}

ChannelGroups find_channel_groups(const graph::Graph& g) {
  CHOP_ASSERT(!g.nodes().empty() && g.nodes().front().op == graph::FxOp::kPlaceholder,
              "graph '" + g.model_name() + "' does not start with a placeholder");
  return Finder(g).run();
}

}  // namespace chop::passes
