// quantize: MASE's quantize_transform_pass (mase.md §5.2) — configs by type, name or
// regex_name with a `default` fallback, "NA" names left unquantized — plus MASE's summary
// (§5.3) printed and written as quantize/quantize_{table,histogram}.csv.
#include "passes/transforms/quantize.h"

#include <algorithm>
#include <climits>
#include <map>
#include <ostream>
#include <regex>

#include "core/error.h"
#include "core/files.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/ops.h"
#include "passes/metadata.h"
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

// MASE's integer quantizer accepts any frac_width, but one below 0 or above the width leaves no
// integer bit or only sign bits: with values of order 1 every input then rounds to 0 or the
// clamp. A config written by hand with such widths is almost always a typo, so it is refused
// here (imported QONNX/QDQ models, whose scales can legitimately give such formats, do not go
// through this table).
// `where_key` is located only for the error: every search candidate runs this per node.
void check_fixed_point_ranges(const quant::NodeQuantConfig& cfg, const PassContext& ctx,
                              const std::string& where_key, const graph::Node& n) {
  for (const auto* q : {&cfg.data_in, &cfg.weight, &cfg.bias, &cfg.data_out}) {
    if (!*q || (*q)->family != quant::QuantFamily::kInteger || !(*q)->frac_width) continue;
    const int width = (*q)->width, frac = *(*q)->frac_width;
    if (frac < 0 || frac > width)
      throw ConfigError(ctx.locate(where_key),
                        "node " + n.name + " (" + n.mase_op + "): '" + (*q)->operand +
                            "_frac_width' = " + std::to_string(frac) + " must be between 0 and '" +
                            (*q)->operand + "_width' (" + std::to_string(width) +
                            "): the fraction bits are part of the width");
  }
}

// Scalar options of [passes.quantize]; every other key is a node table.
const std::vector<std::string> kScalarKeys = {"by", "report"};

std::pair<int, int> position(const PassContext& ctx, const std::string& key) {
  if (!ctx.where) return {INT_MAX, INT_MAX};
  auto parts = split(ctx.where(ctx.option_path + "." + key), ':');
  if (parts.size() < 3) return {INT_MAX, INT_MAX};
  try {
    return {std::stoi(parts[parts.size() - 2]), std::stoi(parts.back())};
  } catch (const std::exception&) {
    return {INT_MAX, INT_MAX};
  }
}

struct Tables {
  std::string by;
  std::vector<std::string> keys;  // node-table keys other than "default", in file order
  const Json* default_config = nullptr;
};

Tables check_tables(const graph::Graph& g, const Json& table, const PassContext& ctx) {
  Tables t;
  if (!table.is_object() || !table.contains("by") || !table["by"].is_string())
    throw ConfigError(ctx.locate("by"),
                      "the quantize pass needs by = \"type\", \"name\" or \"regex_name\"");
  t.by = table["by"].get<std::string>();
  const std::vector<std::string> bys = {"type", "name", "regex_name"};
  if (std::find(bys.begin(), bys.end(), t.by) == bys.end())
    throw ConfigError(ctx.locate("by"), "by = \"" + t.by + "\" is not supported" +
                                            did_you_mean(t.by, bys) +
                                            "; expected \"type\", \"name\" or \"regex_name\"");
  // The name lists only feed error messages; a search builds a candidate per trial.
  auto node_names = [&g] {
    std::vector<std::string> out;
    for (const auto& n : g.nodes()) out.push_back(n.name);
    return out;
  };
  auto ops = [] {
    std::vector<std::string> out;
    for (const auto& s : graph::op_table()) out.push_back(s.mase_op);
    return out;
  };
  for (auto it = table.begin(); it != table.end(); ++it) {
    const std::string& k = it.key();
    if (std::find(kScalarKeys.begin(), kScalarKeys.end(), k) != kScalarKeys.end()) continue;
    if (!it.value().is_object())
      throw ConfigError(ctx.locate(k), "unknown quantize option '" + k + "'" +
                                           did_you_mean(k, kScalarKeys) +
                                           "; options are by, report and [passes.quantize."
                                           "<op|node|pattern|default>.config] tables");
    if (!it.value().contains("config") || !it.value()["config"].is_object())
      throw ConfigError(ctx.locate(k), "'" + k + "' needs a table [" + ctx.option_path + "." + k +
                                           ".config] holding its quantization keys");
    if (k == "default") {
      t.default_config = &it.value()["config"];
      continue;
    }
    if (t.by == "type") {
      if (!graph::find_op(k))
        throw ConfigError(ctx.locate(k), "by = \"type\" but '" + k + "' is not a mase_op" +
                                             did_you_mean(k, ops()) + "; quantizable ops are " +
                                             list_of(quant::quantizable_ops()));
      if (!quant::is_quantizable_op(k))
        log_warning(ctx.locate(k) + ": op '" + k + "' is never quantized (quantizable: " +
                    list_of(quant::quantizable_ops()) + "); its table is ignored");
    } else if (t.by == "name") {
      if (!g.find(k))
        throw ConfigError(ctx.locate(k), "by = \"name\" but the graph has no node '" + k + "'" +
                                             did_you_mean(k, node_names()) +
                                             "; nodes are: " + list_of(node_names()));
    } else {
      try {
        std::regex re(k);
      } catch (const std::regex_error& e) {
        throw ConfigError(ctx.locate(k),
                          "'" + k + "' is not a valid regular expression: " + e.what());
      }
    }
    t.keys.push_back(k);
  }
  // regex_name takes the first matching pattern in file order (toml++ sorts keys). By type or
  // name a node matches at most one key, so their order does not matter (and is not looked up).
  if (t.by == "regex_name")
    std::stable_sort(t.keys.begin(), t.keys.end(), [&](const auto& a, const auto& b) {
      return position(ctx, a) < position(ctx, b);
    });
  return t;
}

// The key whose config applies to node `n` ("" -> default), MASE's get_config.
std::string config_key(const graph::Node& n, const Tables& t) {
  if (t.by == "type") {
    if (std::find(t.keys.begin(), t.keys.end(), n.mase_op) != t.keys.end()) return n.mase_op;
    return "";
  }
  if (t.by == "name") {
    if (std::find(t.keys.begin(), t.keys.end(), n.name) != t.keys.end()) return n.name;
    return "";
  }
  for (const auto& k : t.keys)
    if (std::regex_match(n.name, std::regex(k))) return k;
  return "";
}

}  // namespace

QuantizeSummary quantize_graph(graph::Graph& g, const Json& quant_table, PassContext& ctx) {
  ensure_common_metadata(g, ctx);
  Tables t = check_tables(g, quant_table, ctx);
  std::vector<std::string> before;
  for (const auto& n : g.nodes()) before.push_back(quantized_type_name(n));
  uint64_t index = 0;
  for (auto& n : g.nodes()) {
    ++index;
    if (!quant::is_quantizable_op(n.mase_op)) continue;
    std::string key = config_key(n, t);
    const Json* config = key.empty() ? t.default_config : &quant_table[key]["config"];
    std::string where_key = (key.empty() ? std::string("default") : key) + ".config";
    if (!config)
      throw ConfigError(ctx.locate(), "node " + n.name + " (" + n.mase_op +
                                          ") has no quantization config: add [" + ctx.option_path +
                                          ".default.config] (name = \"NA\" " +
                                          "leaves such nodes unquantized)");
    std::string where = ctx.locate(where_key) + ", node " + n.name + " (" + n.mase_op + ")";
    quant::NodeQuantConfig cfg = quant::parse_node_quant_config(*config, n.mase_op, where);
    check_fixed_point_ranges(cfg, ctx, where_key, n);
    if (!cfg.quantized() && !cfg.bypass) continue;  // name = "NA"
    n.quant = make_node_quant(cfg, *config, ctx.seed * 1000003ULL + index, n.mase_op);
    update_quant_metadata(n, cfg);
  }

  QuantizeSummary s;
  s.table = Table{{"Ori name", "New name", "MASE_TYPE", "Mase_OP", "Original type",
                   "Quantized type", "Changed"},
                  {},
                  {}};
  struct Group {
    std::string op;
    int total = 0, changed = 0;
  };
  std::map<std::string, Group> groups;  // sorted by original type, as pandas' groupby
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const auto& n = g.nodes()[i];
    std::string after = quantized_type_name(n);
    bool changed = after != before[i];
    s.table.rows.push_back(
        {n.name, n.name, n.mase_type, n.mase_op, before[i], after, changed ? "True" : "False"});
    Group& grp = groups[before[i]];
    if (grp.total == 0) grp.op = n.mase_op;
    grp.total++;
    grp.changed += changed;
    s.n_changed += changed;
  }
  s.n_nodes = static_cast<int>(g.nodes().size());
  s.histogram = Table{{"Original type", "OP", "Total", "Changed", "Unchanged"}, {}, {}};
  for (const auto& [type, grp] : groups)
    s.histogram.rows.push_back({type, grp.op, std::to_string(grp.total),
                                std::to_string(grp.changed),
                                std::to_string(grp.total - grp.changed)});
  return s;
}

namespace {

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  QuantizeSummary s = quantize_graph(g, opts, ctx);
  log_debug("Quantized graph:\n" + s.table.render(TableStyle::kPretty));
  if (!ctx.out) log_info("Quantized graph histogram:\n" + s.histogram.render(TableStyle::kPretty));
  if (ctx.out) {
    *ctx.out << "Quantized graph histogram:\n" << s.histogram.render(TableStyle::kPretty);
    if (opts.value("report", false)) *ctx.out << s.table.render(TableStyle::kPretty);
  }
  if (!ctx.save_dir.empty()) {
    write_file_atomic(ctx.save_dir + "/quantize/quantize_table.csv", s.table.to_csv());
    write_file_atomic(ctx.save_dir + "/quantize/quantize_histogram.csv", s.histogram.to_csv());
  }
  PassResult r;
  r.changed = s.n_changed > 0;
  r.info["by"] = opts["by"];
  r.info["n_changed"] = s.n_changed;
  r.info["n_nodes"] = s.n_nodes;
  Json hist = Json::array();
  for (const auto& row : s.histogram.rows)
    hist.push_back(Json{{"original_type", row[0]},
                        {"op", row[1]},
                        {"total", std::stoi(row[2])},
                        {"changed", std::stoi(row[3])},
                        {"unchanged", std::stoi(row[4])}});
  r.info["histogram"] = hist;
  Json changed_nodes = Json::array();
  for (const auto& row : s.table.rows)
    if (row[6] == "True") changed_nodes.push_back(row[0]);
  r.info["changed_nodes"] = changed_nodes;
  return r;
}

}  // namespace

Pass quantize_pass() {
  return Pass{"quantize",
              "transform",
              "MASE's quantize transform: per-node configs by type, name or regex_name with a "
              "default; integer/fixed, minifloat, log, block, binary, ternary",
              {{"by", "string", nullptr, true, "\"type\", \"name\" or \"regex_name\""},
               {"report", "bool", false, false, "also print MASE's per-node summary table"}},
              true,
              run};
}

}  // namespace chop::passes
