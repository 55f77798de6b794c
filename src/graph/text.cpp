// Graph text printer and parser; see text.h.
#include "graph/text.h"

#include <regex>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"
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

NamedTensors parse_tensors(const std::string& body, const std::string& where) {
  NamedTensors out;
  static const std::regex item(R"(^(\w+)\[([-0-9,]*)\](:i64)?$)");
  for (const auto& part : split_top(body)) {
    std::smatch m;
    if (!std::regex_match(part, m, item))
      throw ConfigError(where, "bad tensor entry '" + part + "'; expected name[d0,d1,...]");
    Shape shape;
    if (!m[2].str().empty())
      for (const auto& d : split(m[2].str(), ',')) shape.push_back(std::stoll(d));
    out.emplace_back(m[1].str(), at::zeros(shape, m[3].matched ? at::kLong : at::kFloat));
  }
  return out;
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

Graph parse_graph(const std::string& text, const std::string& source) {
  std::istringstream is(text);
  std::string line;
  int line_no = 0;
  Graph g;
  bool have_header = false;
  static const std::regex head(R"(^%(\w+) = (\w+)\[(\w+)/(\w+)\]\(([^)]*)\)(.*)$)");
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
    std::smatch m;
    if (!std::regex_match(t, m, head))
      throw ConfigError(where, "expected '%name = fx_op[mase_op/mase_type](%inputs) ...'");
    Node n;
    n.name = m[1].str();
    n.op = parse_fx_op(m[2].str());
    n.mase_op = m[3].str();
    n.mase_type = m[4].str();
    n.target = n.name;
    for (const auto& in : split_top(m[5].str())) {
      if (in.empty() || in[0] != '%') throw ConfigError(where, "inputs must be written %name");
      n.inputs.push_back(in.substr(1));
    }
    std::string rest = m[6].str();
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
        n.params = parse_tensors(take_group(rest, pos, '(', ')', where), where);
      } else if (rest.compare(pos, 8, "buffers(") == 0) {
        pos += 7;
        n.buffers = parse_tensors(take_group(rest, pos, '(', ')', where), where);
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
    g.append(std::move(n));
  }
  if (!have_header) throw ConfigError(source, "empty graph text");
  g.set_requires_grad(true);
  return g;
}

}  // namespace chop::graph
