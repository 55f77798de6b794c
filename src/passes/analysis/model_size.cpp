// model_size: parameter count and storage size with each parameter at its precision (float:
// its dtype's bits; a quantized weight/bias: its metadata width), per node and in total.
#include <ostream>

#include "core/files.h"
#include "core/strings.h"
#include "core/table.h"
#include "passes/metadata.h"
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

PassResult run(graph::Graph& g, const Json&, PassContext& ctx) {
  Table t{{"Node name", "Parameter", "Elements", "Bits each", "Bits"}, {}, {}};
  int64_t n_params = 0, bits = 0;
  Json per_node = Json::object();
  for (auto& n : g.nodes()) {
    int64_t node_bits = 0;
    for (const auto& [pn, p] : n.params) {
      int64_t width = static_cast<int64_t>(p.element_size()) * 8;
      if (n.quant && operand_quantized(n, pn)) width = operand_width(n, pn);
      const int64_t b = p.numel() * width;
      n_params += p.numel();
      node_bits += b;
      t.rows.push_back(
          {n.name, pn, with_thousands(p.numel()), std::to_string(width), with_thousands(b)});
    }
    if (n.params.empty()) continue;
    bits += node_bits;
    n.meta["software"]["size_bits"] = node_bits;
    per_node[n.name] = node_bits;
  }
  const double bytes = static_cast<double>(bits) / 8.0;
  t.rows.push_back({"total", "", with_thousands(n_params), "", with_thousands(bits)});
  if (!ctx.save_dir.empty()) write_file_atomic(ctx.save_dir + "/model_size.csv", t.to_csv());
  if (ctx.out)
    *ctx.out << "Model size per parameter\n"
             << t.render(TableStyle::kPretty) << "Model size: " << format_double(bytes)
             << " bytes\n";
  g.meta()["software"]["model_size_bytes"] = bytes;
  PassResult r;
  r.info["params"] = n_params;
  r.info["size_bits"] = bits;
  r.info["size_bytes"] = bytes;
  r.info["per_node_bits"] = per_node;
  return r;
}

}  // namespace

Pass model_size_pass() {
  return Pass{
      "model_size", "analysis", "parameter count and bytes with each parameter at its precision",
      {},           false,      run};
}

}  // namespace chop::passes
