// Hardware-cost report; see hardware_cost.h.
#include "cli/hardware_cost.h"

#include <ostream>

#include "core/error.h"
#include "core/strings.h"
#include "passes/analysis/hw_operands.h"
#include "passes/registry.h"

namespace chop::cli {

void print_hardware_cost(graph::Graph& g, passes::PassContext& pctx, std::ostream& out) {
  std::ostream* saved_out = pctx.out;
  const std::string saved_path = pctx.option_path;
  const passes::Json ran_before = pctx.results;
  pctx.option_path.clear();
  auto run = [&](const char* name) {
    const bool shown = ran_before.contains(name);
    pctx.out = shown ? nullptr : &out;
    if (shown) return ran_before[name];
    return passes::run_pass(name, g, passes::Json::object(), pctx).info;
  };
  const passes::Json cost = run("inference_cost");
  const passes::Json res = run("resources");
  const passes::Json ebops = run("ebops");
  passes::Json acc = passes::Json{{"n_integer_mac", 0}};
  std::string acc_error;
  try {
    acc = run("accumulator_widths");
  } catch (const UserError& e) {
    acc_error = e.what();  // e.g. a 64-bit quantizer: no bit-exact formats, the rest stands
  }
  pctx.out = saved_out;
  pctx.option_path = saved_path;
  const passes::Json& t = cost["total"];
  const passes::Json& r = res["total"];
  out << "Hardware cost per inference: " << passes::figure(t["total_macs"].get<double>())
      << " MACs, " << passes::figure(t["total_bops"].get<double>()) << " BOPs, "
      << passes::figure(ebops["total"].get<double>()) << " EBOPs, "
      << passes::figure(t["total_mem_w_bits"].get<double>()) << " weight bits ("
      << with_thousands(t["zero_weights"].get<int64_t>()) << " zero weights); L0 estimate "
      << passes::figure(r["luts"].get<double>()) << " LUTs, "
      << passes::figure(r["dsps"].get<double>()) << " DSPs, "
      << passes::figure(r["bram"].get<double>()) << " BRAM";
  if (acc["n_integer_mac"].get<int>() > 0)
    out << "; widest accumulator " << acc["max_width"].get<int>() << " bits";
  out << "\n";
  if (!acc_error.empty()) out << "Accumulator widths not inferred: " << acc_error << "\n";
}

}  // namespace chop::cli
