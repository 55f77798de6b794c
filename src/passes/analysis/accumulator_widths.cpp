// accumulator_widths: the minimal fixed-point format of every integer layer's accumulator (and
// of every other integer node's output) as hls4ml's bit-exact flow infers it from the quantizers
// and the quantized weights (runtime/fixed_point_analysis.h), and whether the fake-quantized
// float32 path computes it exactly. No data is needed: the formats hold for every input.
#include <ostream>

#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/table.h"
#include "passes/pass_list.h"
#include "runtime/fixed_point_analysis.h"

namespace chop::passes {
namespace {

std::pair<runtime::Rounding, runtime::Overflow> parse(const Json& opts, const PassContext& ctx) {
  const std::string rs = opts["rounding"].get<std::string>();
  const std::string os = opts["overflow"].get<std::string>();
  const auto rounding = runtime::parse_rounding(rs);
  if (!rounding)
    throw ConfigError(ctx.locate("rounding"), "rounding = \"" + rs +
                                                  "\" is not allowed; expected one of half_even, "
                                                  "half_up, truncate");
  const auto overflow = runtime::parse_overflow(os);
  if (!overflow)
    throw ConfigError(ctx.locate("overflow"),
                      "overflow = \"" + os + "\" is not allowed; expected saturate or wrap");
  return {*rounding, *overflow};
}

void check(const Json& opts, const PassContext& ctx) {
  parse(opts, ctx);
}

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  const auto [rounding, overflow] = parse(opts, ctx);
  const std::string rs = runtime::rounding_name(rounding), os = runtime::overflow_name(overflow);
  const runtime::FixedPointAnalysis a = runtime::analyze_fixed_point(g, rounding, overflow);
  Table t{{"Node name", "Mase op", "Format", "Bits (k+i+f)", "Float32 exact"}, {}, {}};
  Json per_node = Json::object();
  int max_width = 0;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const auto& p = a.nodes[i];
    graph::Node& n = g.nodes()[i];
    if (!p.integer || n.op == graph::FxOp::kOutput) continue;
    const bool shown = p.mac || n.mase_op == "add" || n.mase_op == "sub" || n.mase_op == "mul";
    if (!shown) continue;
    const runtime::Kif k = (p.mac ? p.acc : p.out).layer_kif();
    max_width = std::max(max_width, k.width());
    Json j{{"k", k.k},
           {"i", k.i},
           {"f", k.f},
           {"width", k.width()},
           {"type", k.ap_type()},
           {"float32_exact", p.float32_exact}};
    per_node[n.name] = j;
    n.meta["hardware"]["accumulator"] = j;
    t.rows.push_back({n.name, n.mase_op, k.ap_type(), std::to_string(k.width()),
                      p.float32_exact ? "yes" : "no"});
  }
  if (!ctx.save_dir.empty())
    write_file_atomic(ctx.save_dir + "/accumulator_widths.csv", t.to_csv());
  if (ctx.out) {
    if (per_node.empty())
      *ctx.out << "Accumulator widths: no layer runs in integer arithmetic (quantize linear/conv "
                  "with name = \"integer\")\n";
    else
      *ctx.out << "Accumulator widths (hls4ml's bit-exact inference, " << rs << ", " << os << ")\n"
               << t.render(TableStyle::kPretty);
  }
  PassResult r;
  r.info["per_node"] = per_node;
  r.info["max_width"] = max_width;
  r.info["n_integer_mac"] = a.n_integer_mac;
  r.info["float32_exact"] = a.float32_exact;
  return r;
}

}  // namespace

Pass accumulator_widths_pass() {
  return Pass{"accumulator_widths",
              "analysis",
              "minimal accumulator format of every integer layer (hls4ml's bit-exact interval "
              "inference) and whether float32 computes it exactly",
              {{"rounding", "string", "half_even", false,
                "requantization rounding: half_even (MASE), half_up, truncate"},
               {"overflow", "string", "saturate", false,
                "requantization overflow: saturate (MASE) or wrap"}},
              false,
              run,
              check};
}

}  // namespace chop::passes
