// Graph container operations; see graph.h.
#include "graph/graph.h"

#include <cctype>

#include "core/error.h"
#include "core/strings.h"

namespace chop::graph {

const char* fx_op_name(FxOp op) {
  switch (op) {
    case FxOp::kPlaceholder:
      return "placeholder";
    case FxOp::kGetAttr:
      return "get_attr";
    case FxOp::kCallFunction:
      return "call_function";
    case FxOp::kCallMethod:
      return "call_method";
    case FxOp::kCallModule:
      return "call_module";
    case FxOp::kOutput:
      return "output";
  }
  return "?";
}

FxOp parse_fx_op(const std::string& name) {
  static const std::vector<std::pair<std::string, FxOp>> table = {
      {"placeholder", FxOp::kPlaceholder},    {"get_attr", FxOp::kGetAttr},
      {"call_function", FxOp::kCallFunction}, {"call_method", FxOp::kCallMethod},
      {"call_module", FxOp::kCallModule},     {"output", FxOp::kOutput}};
  std::vector<std::string> names;
  for (const auto& [n, op] : table) {
    if (n == name) return op;
    names.push_back(n);
  }
  throw ConfigError("", "unknown fx op '" + name + "'; expected one of " + list_of(names));
}

std::string fx_name_from_target(const std::string& target) {
  // Node names are identifiers ([A-Za-z0-9_]): the text form and by-name configs rely on it.
  std::string name = target;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  return name;
}

static at::Tensor* find_named(NamedTensors& list, const std::string& name) {
  for (auto& [n, t] : list)
    if (n == name) return &t;
  return nullptr;
}

at::Tensor* Node::param(const std::string& pname) {
  return find_named(params, pname);
}
const at::Tensor* Node::param(const std::string& pname) const {
  return find_named(const_cast<NamedTensors&>(params), pname);
}
at::Tensor* Node::buffer(const std::string& bname) {
  return find_named(buffers, bname);
}

int64_t Node::attr_int(const std::string& key) const {
  // Attributes may come from a user's file: a wrong one is the file's fault, not chop's.
  if (!attrs.is_object() || !attrs.contains(key) || !attrs[key].is_number_integer())
    throw UserError("node " + name + " (" + mase_op + ") has no integer attribute '" + key + "'" +
                    (attrs.is_object() && attrs.contains(key) ? ", got " + attrs[key].dump() : ""));
  return attrs[key].get<int64_t>();
}

Node* Graph::find(const std::string& name) {
  for (auto& n : nodes_)
    if (n.name == name) return &n;
  return nullptr;
}

const Node* Graph::find(const std::string& name) const {
  return const_cast<Graph*>(this)->find(name);
}

Node& Graph::node(const std::string& name) {
  if (Node* n = find(name)) return *n;
  std::vector<std::string> names;
  for (const auto& n : nodes_) names.push_back(n.name);
  throw UserError("graph '" + model_name_ + "' has no node '" + name + "'" +
                  did_you_mean(name, names) + "; nodes are: " + list_of(names));
}

const Node& Graph::node(const std::string& name) const {
  return const_cast<Graph*>(this)->node(name);
}

Node& Graph::append(Node n) {
  CHOP_ASSERT(find(n.name) == nullptr, "duplicate node name " + n.name);
  nodes_.push_back(std::move(n));
  return nodes_.back();
}

std::vector<std::string> Graph::users(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& n : nodes_)
    for (const auto& in : n.inputs)
      if (in == name) {
        out.push_back(n.name);
        break;
      }
  return out;
}

NamedTensors Graph::named_parameters() const {
  NamedTensors out;
  for (const auto& n : nodes_)
    for (const auto& [pn, t] : n.params) out.emplace_back(n.target + "." + pn, t);
  return out;
}

NamedTensors Graph::named_buffers() const {
  NamedTensors out;
  for (const auto& n : nodes_)
    for (const auto& [bn, t] : n.buffers) out.emplace_back(n.target + "." + bn, t);
  return out;
}

NamedTensors Graph::state_dict() const {
  NamedTensors out;
  for (const auto& n : nodes_) {
    for (const auto& [pn, t] : n.params) out.emplace_back(n.target + "." + pn, t);
    for (const auto& [bn, t] : n.buffers) out.emplace_back(n.target + "." + bn, t);
  }
  return out;
}

int64_t Graph::num_parameters() const {
  int64_t total = 0;
  for (const auto& n : nodes_)
    for (const auto& [pn, t] : n.params) total += t.numel();
  return total;
}

Graph Graph::clone() const {
  Graph g(*this);
  for (auto& n : g.nodes_) {
    for (auto& [pn, t] : n.params) {
      bool rg = t.requires_grad();
      t = t.detach().clone();
      if (rg) t.set_requires_grad(true);
    }
    for (auto& [bn, t] : n.buffers) t = t.detach().clone();
  }
  return g;
}

void Graph::to(const at::Device& device) {
  for (auto& n : nodes_) {
    for (auto& [pn, t] : n.params) {
      if (t.device() == device) continue;
      bool rg = t.requires_grad();
      t = t.detach().to(device);
      if (rg) t.set_requires_grad(true);
    }
    for (auto& [bn, t] : n.buffers) t = t.to(device);
  }
}

void Graph::set_requires_grad(bool on) {
  for (auto& n : nodes_)
    for (auto& [pn, t] : n.params)
      if (t.is_floating_point()) t.set_requires_grad(on);
}

}  // namespace chop::graph
