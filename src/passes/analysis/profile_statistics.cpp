// profile_statistics: MASE's profile_statistics_analysis_pass (mase.md §6.3) — weight stats of
// call_module nodes (each parameter/buffer, once) and activation stats of the data_in_i inputs
// of target nodes over ceil(num_samples / batch_size) batches; results replace
// software.args.<entry>.stat as {stat_name: {...}} in MASE's export format.
#include <cmath>
#include <map>
#include <ostream>

#include "core/error.h"
#include "core/strings.h"
#include "core/table.h"
#include "passes/analysis/stats.h"
#include "passes/metadata.h"
#include "passes/pass_list.h"
#include "passes/registry.h"
#include "runtime/executor.h"

namespace chop::passes {
namespace {

using StatList = std::vector<std::unique_ptr<Stat>>;

StatList make_stats(const Json& table, const std::string& where) {
  StatList out;
  for (auto it = table.begin(); it != table.end(); ++it)
    out.push_back(make_stat(it.key(), it.value(), where));
  return out;
}

std::vector<std::string> string_list(const Json& v, const std::string& where,
                                     const std::string& key) {
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) throw ConfigError(where, key + " must be a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

// Checks that every target names a node (by name) or a mase_op present in the graph (by type).
void check_targets(const graph::Graph& g, const std::vector<std::string>& targets, bool by_name,
                   const std::string& where) {
  std::vector<std::string> known;
  for (const auto& n : g.nodes()) known.push_back(by_name ? n.name : n.mase_op);
  for (const auto& t : targets)
    if (std::find(known.begin(), known.end(), t) == known.end())
      throw ConfigError(where, std::string(by_name ? "no node named '" : "no node of type '") + t +
                                   "'" + did_you_mean(t, known) + " in graph '" + g.model_name() +
                                   "'");
}

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  const std::string by = opts["by"].get<std::string>();
  if (by != "type" && by != "name")
    throw ConfigError(ctx.locate("by"), "by must be \"type\" or \"name\", got \"" + by + "\"");
  const bool by_name = by == "name";
  const auto w_targets = string_list(opts["target_weight_nodes"], ctx.locate("target_weight_nodes"),
                                     "target_weight_nodes");
  const auto a_targets =
      string_list(opts["target_activation_nodes"], ctx.locate("target_activation_nodes"),
                  "target_activation_nodes");
  check_targets(g, w_targets, by_name, ctx.locate("target_weight_nodes"));
  check_targets(g, a_targets, by_name, ctx.locate("target_activation_nodes"));
  const int64_t num_samples = opts["num_samples"].get<int64_t>();
  if (num_samples < 1) throw ConfigError(ctx.locate("num_samples"), "num_samples must be >= 1");
  bool has_sw = false;
  for (const auto& n : g.nodes()) has_sw |= n.meta["software"].contains("args");
  if (!has_sw) run_pass("add_software_metadata", g, Json::object(), ctx);

  auto matches = [&](const graph::Node& n, const std::vector<std::string>& targets) {
    const std::string& key = by_name ? n.name : n.mase_op;
    return std::find(targets.begin(), targets.end(), key) != targets.end();
  };
  // node name -> entry -> stats
  std::map<std::string, std::map<std::string, StatList>> collections;
  for (auto& n : g.nodes()) {
    if (!matches(n, w_targets) || n.op != graph::FxOp::kCallModule) continue;
    for (auto it = n.meta["software"]["args"].begin(); it != n.meta["software"]["args"].end();
         ++it) {
      if (it.key().find("data_in") != std::string::npos) continue;
      StatList stats = make_stats(opts["weight_statistics"], ctx.locate("weight_statistics"));
      const at::Tensor* t = n.param(it.key());
      if (!t) t = n.buffer(it.key());
      CHOP_ASSERT(t, "node " + n.name + " has no tensor " + it.key());
      for (auto& s : stats) s->update_sample(*t);
      collections[n.name][it.key()] = std::move(stats);
    }
  }
  std::map<std::string, std::vector<StatList*>> act;  // node -> data_in_i stats by position
  for (auto& n : g.nodes()) {
    if (!matches(n, a_targets)) continue;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      std::string entry = "data_in_" + std::to_string(i);
      auto& slot = collections[n.name][entry];
      slot = make_stats(opts["activation_statistics"], ctx.locate("activation_statistics"));
      act[n.name].push_back(&slot);
    }
  }
  const int64_t n_batches =
      (num_samples + ctx.batch_size - 1) / std::max<int64_t>(ctx.batch_size, 1);
  if (!act.empty()) {
    at::NoGradGuard no_grad;
    runtime::RunOptions ro;
    ro.observer = [&](const graph::Node& n, const std::vector<at::Tensor>& in, const at::Tensor&) {
      auto it = act.find(n.name);
      if (it == act.end()) return;
      for (size_t i = 0; i < in.size() && i < it->second.size(); ++i)
        for (auto& s : *it->second[i]) s->update_batch(in[i]);
    };
    for (int64_t b = 0; b < n_batches; ++b) runtime::forward(g, ctx.batch(g, b), ro);
  }
  Table t{{"Node name", "Entry", "Statistic", "Result"}, {}, {}};
  PassResult r;
  for (auto& [node, entries] : collections) {
    graph::Node& n = g.node(node);
    for (auto& [entry, stats] : entries) {
      Json result = Json::object();
      for (auto& s : stats) {
        result[s->name()] = s->compute();
        std::string text = result[s->name()].dump();
        if (text.size() > 80) text = text.substr(0, 77) + "...";
        t.rows.push_back({node, entry, s->name(), text});
      }
      n.meta["software"]["args"][entry]["stat"] = result;
      r.info["nodes"][node][entry] = result;
    }
  }
  r.info["n_batches"] = n_batches;
  if (ctx.out) *ctx.out << "Profiled statistics\n" << t.render(TableStyle::kPretty);
  return r;
}

}  // namespace

Pass profile_statistics_pass() {
  return Pass{
      "profile_statistics",
      "analysis",
      "MASE's statistics profiler: weight and activation stats by type or name over num_samples",
      {{"by", "string", "type", false, "\"type\" (mase_op) or \"name\" (node name)"},
       {"target_weight_nodes", "list", Json::array(), false, "nodes whose parameters to profile"},
       {"target_activation_nodes", "list", Json::array(), false, "nodes whose inputs to profile"},
       {"weight_statistics", "table", Json::object(), false, "{stat_name = {kwargs}}"},
       {"activation_statistics", "table", Json::object(), false, "{stat_name = {kwargs}}"},
       {"num_samples", "int", 32, false, "activation samples (ceil(num_samples/batch) batches)"},
       {"profile_output_activation", "bool", false, false, "accepted; unused (as in MASE)"}},
      false,
      run};
}

}  // namespace chop::passes
