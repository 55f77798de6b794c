// report_node_meta_param: MASE's report_node_meta_param_analysis_pass — a grid table of every
// node (name, fx op, mase type, mase op) with its common / hardware / software metadata.
#include <ostream>

#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/table.h"
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  std::vector<std::string> which;
  const Json& w = opts["which"];
  if (w.is_string()) which.push_back(w.get<std::string>());
  if (w.is_array())
    for (const auto& e : w) which.push_back(e.is_string() ? e.get<std::string>() : e.dump());
  const std::vector<std::string> groups = {"common", "hardware", "software"};
  std::vector<std::string> chosen;
  for (const auto& s : which) {
    if (s == "all") {
      chosen = groups;
      break;
    }
    if (std::find(groups.begin(), groups.end(), s) == groups.end())
      throw ConfigError(ctx.locate("which"), "unknown metadata group '" + s + "'" +
                                                 did_you_mean(s, groups) +
                                                 "; expected all, common, hardware or software");
    chosen.push_back(s);
  }
  Table t{{"Node name", "Fx Node op", "Mase type", "Mase op"}, {}, {}};
  for (const auto& grp : chosen) {
    std::string title = grp;
    title[0] = static_cast<char>(std::toupper(title[0]));
    t.header.push_back(title + " Param");
  }
  for (const auto& n : g.nodes()) {
    std::vector<std::string> row{n.name, graph::fx_op_name(n.op), n.mase_type, n.mase_op};
    for (const auto& grp : chosen) row.push_back(n.meta.contains(grp) ? n.meta[grp].dump(1) : "{}");
    t.rows.push_back(std::move(row));
  }
  std::string text = t.render(TableStyle::kGrid);
  std::string path = opts["save_path"].is_string() ? opts["save_path"].get<std::string>() : "";
  if (path.empty() && !ctx.save_dir.empty()) path = ctx.save_dir + "/report";
  if (!path.empty()) write_file_atomic(path, text);
  if (ctx.out) *ctx.out << "Inspecting graph [add_common_meta_param_analysis_pass]\n" << text;
  PassResult r;
  r.info["which"] = chosen;
  if (!path.empty()) r.info["save_path"] = path;
  return r;
}

}  // namespace

Pass report_node_meta_param_pass() {
  return Pass{"report_node_meta_param",
              "analysis",
              "MASE's node metadata table (grid): common, hardware and/or software parameters",
              {{"which", "any", Json::array({"all"}), false,
                "\"all\" or a list of common, hardware, software"},
               {"save_path", "string", nullptr, false,
                "file to write (default <save_dir>/report in chop transform)"}},
              false,
              run};
}

}  // namespace chop::passes
