// Graph text printer and parser; see text.h.
#include "graph/text.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/error.h"
#include "core/limits.h"
#include "core/strings.h"
#include "graph/attrs.h"
#include "graph/ops.h"

namespace chop::graph {
namespace {

std::string tensor_list(const NamedTensors& ts) {
  std::vector<std::string> parts;
  for (const auto& [n, t] : ts) {
    Shape s(t.sizes().begin(), t.sizes().end());
    parts.push_back(n + shape_str(s) + (t.scalar_type() == at::kLong ? ":i64" : ""));
  }
  return join(parts, ", ");
}

// Splits "a=1, b=[1, 2], c=\"x, y\"" at depth-0 commas, respecting brackets and strings.
std::vector<std::string> split_top(const std::string& s) {
  std::vector<std::string> out;
  int depth = 0;
  bool in_str = false;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      cur += c;
      if (c == '\\' && i + 1 < s.size())
        cur += s[++i];
      else if (c == '"')
        in_str = false;
      continue;
    }
    if (c == '"') in_str = true;
    if (c == '[' || c == '{' || c == '(') ++depth;
    if (c == ']' || c == '}' || c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (!trim(cur).empty()) out.push_back(trim(cur));
  return out;
}

// Returns the balanced group starting at s[pos] (which is `open`), advancing pos past it.
std::string take_group(const std::string& s, size_t& pos, char open, char close,
                       const std::string& where) {
  int depth = 0;
  bool in_str = false;
  size_t start = pos;
  for (; pos < s.size(); ++pos) {
    char c = s[pos];
    if (in_str) {
      if (c == '\\')
        ++pos;
      else if (c == '"')
        in_str = false;
      continue;
    }
    if (c == '"')
      in_str = true;
    else if (c == open)
      ++depth;
    else if (c == close && --depth == 0) {
      ++pos;
      return s.substr(start + 1, pos - start - 2);
    }
  }
  throw ConfigError(where, std::string("unbalanced '") + open + "'");
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

/// Reads a run of [A-Za-z0-9_] at `pos`; empty when there is none.
std::string take_word(const std::string& s, size_t& pos) {
  size_t start = pos;
  while (pos < s.size() && is_word_char(s[pos])) ++pos;
  return s.substr(start, pos - start);
}

bool take_char(const std::string& s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

/// Declared tensors; `budget` counts down the elements the caller allows for the whole graph.
NamedTensors parse_tensors(const std::string& body, const std::string& where,
                           uint64_t& elements_left) {
  NamedTensors out;
  for (const auto& part : split_top(body)) {
    // name[d0,d1,...] optionally followed by :i64
    size_t pos = 0;
    const std::string name = take_word(part, pos);
    Shape shape;
    bool ok = !name.empty() && take_char(part, pos, '[');
    size_t close = ok ? part.find(']', pos) : std::string::npos;
    ok = ok && close != std::string::npos;
    if (ok) {
      const std::string dims = part.substr(pos, close - pos);
      if (!dims.empty()) {
        for (const auto& d : split(dims, ',')) {
          auto v = parse_int64(trim(d));
          if (!v || *v < 0) {
            ok = false;
            break;
          }
          shape.push_back(*v);
        }
      }
      pos = close + 1;
    }
    const bool is_long = ok && part.compare(pos, std::string::npos, ":i64") == 0;
    if (!ok || (pos != part.size() && !is_long))
      throw ConfigError(where, "bad tensor entry '" + part +
                                   "'; expected name[d0,d1,...] with dimensions >= 0");
    if (shape.size() > 8) throw ConfigError(where, "tensor '" + name + "' has more than 8 dimensions");
    auto n = element_count(shape);
    if (!n || *n > elements_left)
      throw ConfigError(where, "tensor '" + name + shape_str(shape) + "' declares more values " +
                                   "than the file can hold or memory allows: corrupt file");
    elements_left -= *n;
    out.emplace_back(name, at::zeros(shape, is_long ? at::kLong : at::kFloat));
  }
  return out;
}

/// The node header "%name = fx_op[mase_op/mase_type](%a, %b)" at the start of `t`; returns the
/// position after ')' or npos when `t` does not have that form.
size_t parse_head(const std::string& t, Node& n, std::string& inputs) {
  size_t pos = 0;
  std::string fx;
  if (!take_char(t, pos, '%')) return std::string::npos;
  n.name = take_word(t, pos);
  if (n.name.empty() || t.compare(pos, 3, " = ") != 0) return std::string::npos;
  pos += 3;
  fx = take_word(t, pos);
  if (fx.empty() || !take_char(t, pos, '[')) return std::string::npos;
  n.mase_op = take_word(t, pos);
  if (n.mase_op.empty() || !take_char(t, pos, '/')) return std::string::npos;
  n.mase_type = take_word(t, pos);
  if (n.mase_type.empty() || !take_char(t, pos, ']') || !take_char(t, pos, '('))
    return std::string::npos;
  size_t close = t.find(')', pos);
  if (close == std::string::npos) return std::string::npos;
  inputs = t.substr(pos, close - pos);
  n.op = parse_fx_op(fx);
  return close + 1;
}

}  // namespace

std::string print_graph(const Graph& g) {
  std::ostringstream os;
  os << "graph " << g.model_name() << "\n";
  for (const auto& n : g.nodes()) {
    os << "%" << n.name << " = " << fx_op_name(n.op) << "[" << n.mase_op << "/" << n.mase_type
       << "](";
    for (size_t i = 0; i < n.inputs.size(); ++i) os << (i ? ", " : "") << "%" << n.inputs[i];
    os << ")";
    if (!n.target.empty() && n.target != n.name) os << " @" << n.target;
    if (!n.attrs.empty()) {
      os << " {";
      bool first = true;
      for (auto it = n.attrs.begin(); it != n.attrs.end(); ++it) {
        os << (first ? "" : ", ") << it.key() << "=" << it.value().dump();
        first = false;
      }
      os << "}";
    }
    if (!n.params.empty()) os << " params(" << tensor_list(n.params) << ")";
    if (!n.buffers.empty()) os << " buffers(" << tensor_list(n.buffers) << ")";
    if (n.quant) os << " quant" << n.quant->config.dump();
    os << "\n";
  }
  return os.str();
}

Graph parse_graph(const std::string& text, const std::string& source,
                  std::optional<uint64_t> max_param_elements) {
  std::istringstream is(text);
  std::string line;
  int line_no = 0;
  Graph g;
  bool have_header = false;
  // Every declared tensor is allocated (zeros) before its values arrive: the declared sizes
  // must fit what the caller's file can hold and the memory budget.
  uint64_t elements_left = memory_budget_bytes() / sizeof(float);
  if (max_param_elements) elements_left = std::min(elements_left, *max_param_elements);
  while (std::getline(is, line)) {
    ++line_no;
    std::string where = source + ":" + std::to_string(line_no);
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (!have_header) {
      if (!starts_with(t, "graph ")) throw ConfigError(where, "expected 'graph <name>'");
      g.set_model_name(trim(t.substr(6)));
      have_header = true;
      continue;
    }
    Node n;
    std::string inputs;
    size_t head_end;
    try {
      head_end = parse_head(t, n, inputs);
    } catch (const ConfigError& e) {
      throw ConfigError(where, e.what());
    }
    if (head_end == std::string::npos)
      throw ConfigError(where, "expected '%name = fx_op[mase_op/mase_type](%inputs) ...'");
    n.target = n.name;
    for (const auto& in : split_top(inputs)) {
      if (in.size() < 2 || in[0] != '%') throw ConfigError(where, "inputs must be written %name");
      n.inputs.push_back(in.substr(1));
    }
    std::string rest = t.substr(head_end);
    size_t pos = 0;
    while (pos < rest.size()) {
      if (rest[pos] == ' ') {
        ++pos;
      } else if (rest[pos] == '@') {
        size_t end = rest.find(' ', pos);
        n.target = rest.substr(pos + 1, end == std::string::npos ? end : end - pos - 1);
        pos = end == std::string::npos ? rest.size() : end;
      } else if (rest[pos] == '{') {
        for (const auto& kv : split_top(take_group(rest, pos, '{', '}', where))) {
          size_t eq = kv.find('=');
          if (eq == std::string::npos)
            throw ConfigError(where, "attribute '" + kv + "' needs key=value");
          try {
            n.attrs[kv.substr(0, eq)] = Json::parse(kv.substr(eq + 1));
          } catch (const Json::exception&) {
            throw ConfigError(where, "attribute '" + kv.substr(0, eq) + "' has a malformed value");
          }
        }
      } else if (rest.compare(pos, 7, "params(") == 0) {
        pos += 6;
        n.params = parse_tensors(take_group(rest, pos, '(', ')', where), where, elements_left);
      } else if (rest.compare(pos, 8, "buffers(") == 0) {
        pos += 7;
        n.buffers = parse_tensors(take_group(rest, pos, '(', ')', where), where, elements_left);
      } else if (rest.compare(pos, 6, "quant{") == 0) {
        pos += 5;
        std::string body = "{" + take_group(rest, pos, '{', '}', where) + "}";
        n.quant = std::make_shared<NodeQuant>();
        try {
          n.quant->config = Json::parse(body);
        } catch (const Json::exception&) {
          throw ConfigError(where, "malformed quant config");
        }
      } else {
        throw ConfigError(where, "unexpected text '" + rest.substr(pos) + "'");
      }
    }
    if (g.find(n.name)) throw ConfigError(where, "duplicate node name '" + n.name + "'");
    // Optional attributes a writer left out take the op's defaults (PyTorch's), as in graphs
    // built by chop, so no reader meets a missing one.
    if (const OpSpec* spec = find_op(n.mase_op))
      for (auto it = spec->default_attrs.begin(); it != spec->default_attrs.end(); ++it)
        if (!n.attrs.contains(it.key())) n.attrs[it.key()] = it.value();
    try {
      // Types and ranges of attributes now, so no later reader meets a malformed one.
      check_node_attrs(n);
    } catch (const UserError& e) {
      throw ConfigError(where, e.what());
    }
    g.append(std::move(n));
  }
  if (!have_header) throw ConfigError(source, "empty graph text");
  g.set_requires_grad(true);
  return g;
}

}  // namespace chop::graph
