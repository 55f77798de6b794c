// report_graph: MASE's report_graph_analysis_pass — the graph text, a network overview (node
// counts per fx op) and the layer types (PyTorch-style module reprs); printed and saved.
#include <map>
#include <ostream>
#include <sstream>

#include "core/files.h"
#include "graph/ops.h"
#include "graph/text.h"
#include "passes/metadata.h"
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

std::string py_value(const Json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_null()) return "None";
  if (v.is_array()) {
    std::string s = "(";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + py_value(v[i]);
    return s + (v.size() == 1 ? ",)" : ")");
  }
  if (v.is_string()) return "'" + v.get<std::string>() + "'";
  return cell_text(v);
}

// "Linear(in_features=16, out_features=5, bias=True)".
std::string module_repr(const graph::Node& n) {
  const graph::OpSpec* spec = graph::find_op(n.mase_op);
  std::string s = (spec ? spec->torch_class : n.mase_op) + "(";
  bool first = true;
  for (auto it = n.attrs.begin(); it != n.attrs.end(); ++it) {
    s += (first ? "" : ", ") + it.key() + "=" + py_value(it.value());
    first = false;
  }
  return s + ")";
}

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  std::map<std::string, int> by_fx;
  std::vector<std::string> layers;
  for (const auto& n : g.nodes()) {
    by_fx[graph::fx_op_name(n.op)]++;
    if (n.op == graph::FxOp::kCallModule) layers.push_back(module_repr(n));
  }
  std::ostringstream os;
  os << graph::print_graph(g) << "\nNetwork overview:\n";
  Json counts = Json::object();
  for (const char* k :
       {"placeholder", "get_attr", "call_function", "call_method", "call_module", "output"}) {
    os << "  " << k << ": " << by_fx[k] << "\n";
    counts[k] = by_fx[k];
  }
  os << "Layer types:\n";
  for (const auto& l : layers) os << "  " << l << "\n";
  std::string path = opts["file_name"].is_string() ? opts["file_name"].get<std::string>() : "";
  if (path.empty() && !ctx.save_dir.empty()) path = ctx.save_dir + "/report_graph.txt";
  if (!path.empty()) write_file_atomic(path, os.str());
  if (ctx.out) *ctx.out << os.str();
  PassResult r;
  r.info["network_overview"] = counts;
  r.info["layer_types"] = layers;
  if (!path.empty()) r.info["file_name"] = path;
  return r;
}

}  // namespace

Pass report_graph_pass() {
  return Pass{"report_graph",
              "analysis",
              "MASE's graph report: graph text, node counts per fx op, layer types",
              {{"file_name", "string", nullptr, false,
                "file to write (default <save_dir>/report_graph.txt in chop transform)"}},
              false,
              run};
}

}  // namespace chop::passes
