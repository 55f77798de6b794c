// resources: QONNX's L0 analytical FPGA estimate (fastmachinelearning/qonnx, branch
// L0_Projections, src/qonnx/analysis/l0_resource_estimates.py: core_resources, ocm_resources,
// promoting_datatype, dtype_casting, resource_table) per layer and in total, from the
// inference_cost of each MAC layer. LUT-only MACs cost 1.1 x b1 x b2 LUTs; DSP-mapped MACs
// (both widths within [bwidth_lower_limit, bwidth_upper_limit]) cost the table's DSPs + LUTs of
// their promoted type; weights take 36 kb BRAMs / 288 kb URAMs / 64-bit LUT-RAM. chop adds a
// reuse factor (hls4ml's): a layer time-multiplexed R times instantiates 1/R of its MAC units.
#include <cmath>
#include <ostream>

#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/table.h"
#include "passes/analysis/hw_operands.h"
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

constexpr double kBramBits = 36864;   // 36 kb
constexpr double kUramBits = 294912;  // 288 kb
constexpr double kLutBits = 64;       // LUT-RAM

struct PerMac {
  double dsps = 0, luts = 0;
  std::string mapped = "LUT";
};

// promoting_datatype: INT* (and chop's 1/2-bit integer types) to 4/8/16/32, FLOAT* to 16/32.
std::pair<std::string, int> promote(const OperandType& t) {
  if (t.is_float) return {"FLOAT", t.bits <= 16 ? 16 : 32};
  const int b = t.bits <= 4 ? 4 : t.bits <= 8 ? 8 : t.bits <= 16 ? 16 : 32;
  return {"INT", b};
}

// dtype_casting: the wider of two same-kind types; float wins over int.
std::pair<std::string, int> cast(const OperandType& a, const OperandType& b) {
  auto pa = promote(a), pb = promote(b);
  if (pa.first == pb.first) return pa.second >= pb.second ? pa : pb;
  return pa.first == "FLOAT" ? pa : pb;
}

// resource_table[casted][dsp_type] = (DSPs, LUTs) per MAC.
std::pair<double, double> table_entry(const std::string& kind, int bits, const std::string& dsp) {
  const bool d48 = dsp == "dsp48";
  if (kind == "FLOAT") {
    if (bits == 32) return d48 ? std::pair{2.0, 700.0} : std::pair{1.0, 0.0};
    return d48 ? std::pair{1.0, 400.0} : std::pair{1.0, 0.0};
  }
  switch (bits) {
    case 32:
    case 16:
      return {1.0, 0.0};
    case 8:
      return d48 ? std::pair{0.5, 100.0} : std::pair{0.33, 0.0};
    default:
      return d48 ? std::pair{0.25, 50.0} : std::pair{0.25, 0.0};
  }
}

PerMac per_mac(const OperandType& a, const OperandType& b, const std::string& dsp, int lower,
               int upper) {
  PerMac r;
  const double lut_only = 1.1 * a.bits * b.bits;
  if (dsp == "none" || a.bits < lower || b.bits < lower || a.bits > upper || b.bits > upper) {
    r.luts = lut_only;
    return r;
  }
  const auto [kind, bits] = cast(a, b);
  if (bits > upper) {
    r.luts = lut_only;
    return r;
  }
  std::tie(r.dsps, r.luts) = table_entry(kind, bits, dsp);
  r.mapped = dsp == "dsp48" ? "DSP48" : "DSP58";
  return r;
}

// hls4ml's FPGABackend._validate_reuse_factor(n_in, n_out, rf).
bool valid_reuse_factor(int64_t n_in, int64_t n_out, int64_t rf) {
  const int64_t mult = std::min(n_in, rf);
  const int64_t limit = (n_in * n_out + mult - 1) / mult;
  bool ok = (limit % n_out == 0) || rf >= n_in;
  ok = ok && ((rf % n_in == 0) || rf < n_in);
  return ok && (n_in * n_out) % rf == 0;
}

std::vector<int64_t> valid_reuse_factors(int64_t n_in, int64_t n_out) {
  std::vector<int64_t> v;
  for (int64_t rf = 1; rf <= n_in * n_out; ++rf)
    if (valid_reuse_factor(n_in, n_out, rf)) v.push_back(rf);
  return v;
}

// hls4ml's get_closest_reuse_factor: the nearest valid value, the smaller one on a tie.
int64_t closest(const std::vector<int64_t>& valid, int64_t rf) {
  auto it = std::lower_bound(valid.begin(), valid.end(), rf);
  if (it == valid.begin()) return valid.front();
  if (it == valid.end()) return valid.back();
  const int64_t after = *it, before = *(it - 1);
  return after - rf < rf - before ? after : before;
}

std::string list_ints(const std::vector<int64_t>& v, size_t max_items = 24) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max_items; ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  if (v.size() > max_items) s += ", ... (" + std::to_string(v.size()) + " values)";
  return s;
}

struct Options {
  std::string dsp_type, memory, rule;
  int lower = 8, upper = 32;
  double uram_fraction = 0.5;
  bool discount = true;
  Json reuse;  // int or table
};

Options parse(const Json& o, const PassContext& ctx) {
  Options r;
  auto one_of = [&](const char* key, const std::vector<std::string>& allowed) {
    const std::string v = o[key].get<std::string>();
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
      throw ConfigError(ctx.locate(key), std::string(key) + " = \"" + v + "\" is not allowed" +
                                             did_you_mean(v, allowed) + "; expected one of " +
                                             list_of(allowed));
    return v;
  };
  r.dsp_type = one_of("dsp_type", {"none", "dsp48", "dsp58"});
  r.memory = one_of("memory", {"bram", "uram", "lut", "mixed"});
  r.rule = one_of("reuse_factor_rule", {"closest", "strict"});
  r.lower = o["bwidth_lower_limit"].get<int>();
  r.upper = o["bwidth_upper_limit"].get<int>();
  if (r.lower < 1)
    throw ConfigError(
        ctx.locate("bwidth_lower_limit"),
        "bwidth_lower_limit must be at least 1 (bits), got " + std::to_string(r.lower));
  if (r.upper < r.lower)
    throw ConfigError(ctx.locate("bwidth_upper_limit"),
                      "bwidth_upper_limit (" + std::to_string(r.upper) +
                          ") must not be below bwidth_lower_limit (" + std::to_string(r.lower) +
                          ")");
  r.uram_fraction = o["uram_fraction"].get<double>();
  if (r.memory == "mixed" && !(r.uram_fraction > 0 && r.uram_fraction < 1))
    throw ConfigError(ctx.locate("uram_fraction"),
                      "uram_fraction must be strictly between 0 and 1 (the share of weight bits "
                      "in URAM; use memory = \"bram\" or \"uram\" for 0 or 1), got " +
                          format_double(r.uram_fraction));
  r.discount = o["discount_sparsity"].get<bool>();
  r.reuse = o["reuse_factor"];
  auto check_rf = [&](const Json& v, const std::string& key) {
    if (!v.is_number_integer() || v.get<int64_t>() < 1)
      throw ConfigError(ctx.locate(key),
                        "reuse factor must be a positive integer (how many "
                        "times each multiplier is reused), got " +
                            v.dump());
  };
  if (r.reuse.is_object()) {
    for (auto it = r.reuse.begin(); it != r.reuse.end(); ++it)
      check_rf(it.value(), "reuse_factor." + it.key());
  } else {
    check_rf(r.reuse, "reuse_factor");
  }
  return r;
}

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  const Options o = parse(opts, ctx);
  const std::vector<graph::Shape> shapes = batch1_shapes(g);
  // A reuse-factor table names MAC layers (or "default").
  std::vector<std::string> mac_names;
  for (size_t i = 0; i < g.nodes().size(); ++i)
    if (mac_layer(g, i, shapes)) mac_names.push_back(g.nodes()[i].name);
  if (o.reuse.is_object())
    for (auto it = o.reuse.begin(); it != o.reuse.end(); ++it)
      if (it.key() != "default" &&
          std::find(mac_names.begin(), mac_names.end(), it.key()) == mac_names.end())
        throw ConfigError(ctx.locate("reuse_factor." + it.key()),
                          "reuse_factor names '" + it.key() +
                              "', which is not a "
                              "multiply-accumulate layer of " +
                              g.model_name() + did_you_mean(it.key(), mac_names) +
                              "; its MAC layers are " + list_of(mac_names) +
                              " (or use \"default\")");
  Table t{{"Node name", "MAC type", "MACs", "Reuse", "Mapped to", "LUTs", "DSPs", "Weight bits",
           o.memory == "lut" ? "LUT-RAM" : (o.memory == "uram" ? "URAM" : "BRAM (36 kb)")},
          {},
          {}};
  Json per_node = Json::object();
  double luts_core = 0, luts_mem = 0, dsps = 0, bram = 0, uram = 0;
  int64_t bram_blocks = 0, uram_blocks = 0;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    graph::Node& n = g.nodes()[i];
    const auto mac = mac_layer(g, i, shapes);
    if (!mac) continue;
    const MacCost c = mac_cost(*mac, o.discount);
    int64_t rf = 1;
    if (o.reuse.is_object())
      rf = o.reuse.contains(n.name)      ? o.reuse[n.name].get<int64_t>()
           : o.reuse.contains("default") ? o.reuse["default"].get<int64_t>()
                                         : 1;
    else
      rf = o.reuse.get<int64_t>();
    if (!valid_reuse_factor(mac->n_in, mac->n_out, rf)) {
      const auto valid = valid_reuse_factors(mac->n_in, mac->n_out);
      if (o.rule == "strict")
        throw ConfigError(ctx.locate("reuse_factor"),
                          "reuse factor " + std::to_string(rf) + " is not valid for " + n.name +
                              " (" + std::to_string(mac->n_in) + " inputs x " +
                              std::to_string(mac->n_out) +
                              " outputs, hls4ml's rule); valid values: " + list_ints(valid) +
                              "; the closest is " + std::to_string(closest(valid, rf)) +
                              " (or set reuse_factor_rule = \"closest\")");
      rf = closest(valid, rf);
    }
    const PerMac pm = per_mac(mac->input, mac->weight, o.dsp_type, o.lower, o.upper);
    const double units = c.macs / static_cast<double>(rf);
    Json node{{"mac_type", c.mac_key},      {"macs", c.macs},          {"reuse_factor", rf},
              {"mapped_to", pm.mapped},     {"luts", pm.luts * units}, {"dsps", pm.dsps * units},
              {"weight_bits", c.mem_w_bits}};
    luts_core += pm.luts * units;
    dsps += pm.dsps * units;
    std::string mem_cell;
    if (o.memory == "lut") {
      node["luts_memory"] = c.mem_w_bits / kLutBits;
      luts_mem += c.mem_w_bits / kLutBits;
      mem_cell = figure(c.mem_w_bits / kLutBits);
    } else {
      const double to_uram = o.memory == "uram" ? 1.0 : o.memory == "mixed" ? o.uram_fraction : 0.0;
      const double b = (1 - to_uram) * c.mem_w_bits / kBramBits;
      const double u = to_uram * c.mem_w_bits / kUramBits;
      node["bram"] = b;
      node["uram"] = u;
      // Whole blocks when each layer keeps its weights in memories of its own.
      node["bram_blocks"] = static_cast<int64_t>(std::ceil(b - 1e-12));
      node["uram_blocks"] = static_cast<int64_t>(std::ceil(u - 1e-12));
      bram += b;
      uram += u;
      bram_blocks += node["bram_blocks"].get<int64_t>();
      uram_blocks += node["uram_blocks"].get<int64_t>();
      mem_cell = o.memory == "uram" ? figure(u) : figure(b);
      if (o.memory == "mixed") mem_cell += " + " + figure(u) + " URAM";
    }
    per_node[n.name] = node;
    n.meta["hardware"]["resources"] = node;
    t.rows.push_back({n.name, mac->input.name + " x " + mac->weight.name, figure(c.macs),
                      std::to_string(rf), pm.mapped, figure(pm.luts * units),
                      figure(pm.dsps * units), figure(c.mem_w_bits), mem_cell});
  }
  Json total{{"luts", luts_core + luts_mem},
             {"luts_core", luts_core},
             {"luts_memory", luts_mem},
             {"dsps", dsps},
             {"bram", bram},
             {"uram", uram},
             {"bram_blocks", bram_blocks},
             {"uram_blocks", uram_blocks},
             {"dsp_type", o.dsp_type},
             {"memory", o.memory}};
  t.rows.push_back(
      {"total", "", "", "", "", figure(luts_core), figure(dsps), "",
       o.memory == "lut" ? figure(luts_mem) : figure(o.memory == "uram" ? uram : bram)});
  if (!ctx.save_dir.empty()) write_file_atomic(ctx.save_dir + "/resources.csv", t.to_csv());
  if (ctx.out)
    *ctx.out << "FPGA resources per layer (QONNX L0 estimate, fully unrolled / reuse factor; "
             << o.dsp_type << ", weights in " << o.memory << ")\n"
             << t.render(TableStyle::kPretty) << "Resources: " << figure(luts_core + luts_mem)
             << " LUTs, " << figure(dsps) << " DSPs, " << figure(bram) << " BRAM (36 kb), "
             << figure(uram) << " URAM\n";
  g.meta()["hardware"]["resources"] = total;
  PassResult r;
  r.info["total"] = total;
  r.info["per_node"] = per_node;
  return r;
}

void check(const Json& o, const PassContext& ctx) {
  parse(o, ctx);
}

}  // namespace

Pass resources_pass() {
  return Pass{
      "resources",
      "analysis",
      "QONNX's L0 FPGA estimate per layer: LUTs and DSPs of the MACs, BRAM/URAM for the weights",
      {{"dsp_type", "string", "dsp48", false,
        "which MACs may use DSPs: \"none\" (all LUTs), \"dsp48\", \"dsp58\""},
       {"bwidth_lower_limit", "int", 8, false,
        "MACs with an operand narrower than this stay in LUTs"},
       {"bwidth_upper_limit", "int", 32, false,
        "MACs with an operand wider than this stay in LUTs"},
       {"memory", "string", "bram", false,
        "where the weights live: \"bram\" (36 kb), \"uram\" (288 kb), \"lut\" (LUT-RAM, 64 bits "
        "per LUT), \"mixed\""},
       {"uram_fraction", "number", 0.5, false, "with memory = \"mixed\": share of bits in URAM"},
       {"reuse_factor", "any", 1, false,
        "times each multiplier is reused: an integer, or a table {default = R, <node> = R}"},
       {"reuse_factor_rule", "string", "closest", false,
        "an invalid reuse factor (hls4ml's rule): \"closest\" uses hls4ml's closest valid one, "
        "\"strict\" is an error"},
       {"discount_sparsity", "bool", true, false,
        "zero weights need no MAC and no memory (QONNX's discount_sparsity)"}},
      false,
      run,
      check};
}

}  // namespace chop::passes
