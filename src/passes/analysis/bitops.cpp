// bitops: bit operations per node and in total. A float op counts 32 bits per computation; a
// quantized linear/conv/matmul counts MACs x data_in_width x weight_width; a quantized
// elementwise op (relu, add, sub, mul) counts computations x data_in_width (docs/passes.md).
#include <ostream>

#include "core/files.h"
#include "core/strings.h"
#include "core/table.h"
#include "passes/analysis/flops.h"
#include "passes/metadata.h"
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

bool is_mac_op(const std::string& op) {
  return op == "linear" || op == "conv1d" || op == "conv2d" || op == "matmul" || op == "bmm";
}

// Bits per computation of a node and how they were derived.
std::pair<int64_t, std::string> bits_per_op(const graph::Node& n, int64_t float_width) {
  const bool quantized =
      n.quant && (operand_quantized(n, "data_in_0") || operand_quantized(n, "weight") ||
                  operand_quantized(n, "data_in_1"));
  if (!quantized) return {float_width, "float"};
  const int64_t din = operand_width(n, "data_in_0");
  if (is_mac_op(n.mase_op)) {
    const std::string w_arg = common_arg(n, "weight") ? "weight" : "data_in_1";
    const int64_t w = operand_width(n, w_arg);
    return {din * w, std::to_string(din) + "x" + std::to_string(w)};
  }
  return {din, std::to_string(din)};
}

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  ensure_common_metadata(g, ctx);
  const int64_t float_width = opts["float_width"].get<int64_t>();
  Table t{{"Node name", "Mase op", "FLOPs", "Bits per op", "BitOPs"}, {}, {}};
  Json per_node = Json::object();
  int64_t total = 0;
  for (auto& n : g.nodes()) {
    LayerCost c = layer_cost(n);
    if (!c.counted) continue;
    auto [bits, how] = bits_per_op(n, float_width);
    int64_t b = c.computations * bits;
    total += b;
    n.meta["software"]["bitops"] = b;
    per_node[n.name] = b;
    t.rows.push_back({n.name, n.mase_op, with_thousands(c.computations), how, with_thousands(b)});
  }
  t.rows.push_back({"total", "", "", "", with_thousands(total)});
  if (!ctx.save_dir.empty()) write_file_atomic(ctx.save_dir + "/bitops.csv", t.to_csv());
  if (ctx.out) *ctx.out << "BitOPs per layer\n" << t.render(TableStyle::kPretty);
  g.meta()["software"]["bitops"] = total;
  PassResult r;
  r.info["total"] = total;
  r.info["per_node"] = per_node;
  return r;
}

}  // namespace

Pass bitops_pass() {
  return Pass{"bitops",
              "analysis",
              "bit operations: computations x operand widths (float = 32 per computation)",
              {{"float_width", "int", 32, false, "bits counted per computation of a float op"}},
              false,
              run};
}

}  // namespace chop::passes
