// inference_cost: QONNX's inference cost (fastmachinelearning/qonnx,
// src/qonnx/analysis/inference_cost.py and src/qonnx/util/inference_cost.py) per node and in
// total, for one inference: MACs by operand type pair (op_mac_<in>_<weight>), weight and output
// memory by type, BOPs, weight/output bits, with zero weights discounted (discount_sparsity)
// and counted separately. Ops QONNX lists as zero-cost count nothing; others are "unsupported".
#include <ostream>

#include "core/files.h"
#include "core/strings.h"
#include "core/table.h"
#include "passes/analysis/hw_operands.h"
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

void add_to(Json& total, const std::string& key, double v) {
  total[key] = (total.contains(key) ? total[key].get<double>() : 0.0) + v;
}

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  const bool discount = opts["discount_sparsity"].get<bool>();
  const std::vector<graph::Shape> shapes = batch1_shapes(g);
  Table t{{"Node name", "ONNX op", "MAC type", "MACs", "BOPs", "Weight bits", "Zero weights",
           "Output bits"},
          {},
          {}};
  Json per_node = Json::object(), total = Json::object();
  Json zero_cost = Json::array(), unsupported = Json::array();
  std::vector<std::string> unsupported_names;
  double total_macs = 0, total_bops = 0, w_bits = 0, w_elems = 0, o_bits = 0, o_elems = 0;
  int64_t zero_weights = 0, weight_elems = 0;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    graph::Node& n = g.nodes()[i];
    const std::string onnx_op = onnx_op_type(n);
    if (onnx_op.empty()) continue;
    const auto mac = mac_layer(g, i, shapes);
    if (!mac) {
      if (qonnx_zero_cost(onnx_op)) {
        zero_cost.push_back(n.name);
      } else {
        unsupported.push_back(n.name + " (" + onnx_op + ")");
        unsupported_names.push_back(n.name + " (" + onnx_op + ")");
      }
      continue;
    }
    const MacCost c = mac_cost(*mac, discount);
    Json node = Json::object();
    node[c.mac_key] = c.macs;
    node[c.mem_w_key] = c.mem_w_elems;
    node[c.mem_o_key] = c.mem_o_elems;
    node["total_bops"] = c.bops;
    node["total_macs"] = c.macs;
    node["total_mem_w_bits"] = c.mem_w_bits;
    node["total_mem_w_elems"] = c.mem_w_elems;
    node["total_mem_o_bits"] = c.mem_o_bits;
    node["total_mem_o_elems"] = c.mem_o_elems;
    node["zero_weights"] = mac->zero_weights;
    node["weight_elems"] = mac->weight_elems;
    node["macs_dense"] = mac->macs;
    per_node[n.name] = node;
    n.meta["software"]["inference_cost"] = node;
    add_to(total, c.mac_key, c.macs);
    add_to(total, c.mem_w_key, c.mem_w_elems);
    add_to(total, c.mem_o_key, c.mem_o_elems);
    total_macs += c.macs;
    total_bops += c.bops;
    w_bits += c.mem_w_bits;
    w_elems += c.mem_w_elems;
    o_bits += c.mem_o_bits;
    o_elems += c.mem_o_elems;
    zero_weights += mac->zero_weights;
    weight_elems += mac->weight_elems;
    t.rows.push_back({n.name, mac->onnx_op, mac->input.name + " x " + mac->weight.name,
                      figure(c.macs), figure(c.bops), figure(c.mem_w_bits),
                      with_thousands(mac->zero_weights), figure(c.mem_o_bits)});
  }
  total["total_bops"] = total_bops;
  total["total_macs"] = total_macs;
  total["total_mem_w_bits"] = w_bits;
  total["total_mem_w_elems"] = w_elems;
  total["total_mem_o_bits"] = o_bits;
  total["total_mem_o_elems"] = o_elems;
  total["zero_weights"] = zero_weights;
  total["weight_elems"] = weight_elems;
  total["discount_sparsity"] = discount;
  total["unsupported"] = unsupported;
  t.rows.push_back({"total", "", "", figure(total_macs), figure(total_bops), figure(w_bits),
                    with_thousands(zero_weights), figure(o_bits)});
  if (!ctx.save_dir.empty()) write_file_atomic(ctx.save_dir + "/inference_cost.csv", t.to_csv());
  if (ctx.out) {
    *ctx.out << "Inference cost per layer (QONNX, one inference"
             << (discount ? ", zero weights discounted" : "") << ")\n"
             << t.render(TableStyle::kPretty);
    if (!unsupported_names.empty())
      *ctx.out << "Not costed (QONNX has no cost for them): " << join(unsupported_names, ", ")
               << "\n";
  }
  g.meta()["software"]["inference_cost"] = total;
  PassResult r;
  r.info["total"] = total;
  r.info["per_node"] = per_node;
  r.info["zero_cost"] = zero_cost;
  return r;
}

}  // namespace

Pass inference_cost_pass() {
  return Pass{"inference_cost",
              "analysis",
              "QONNX's inference cost per inference: MACs by operand types, BOPs, weight and "
              "output memory, zero weights",
              {{"discount_sparsity", "bool", true, false,
                "scale MACs and weight memory by the density of non-zero weights (QONNX's "
                "default)"}},
              false,
              run};
}

}  // namespace chop::passes
