// Hardware-cost report; see hardware_cost.h.
#include "cli/hardware_cost.h"

#include <ostream>

#include "core/error.h"
#include "core/strings.h"
#include "passes/analysis/hardware_metrics.h"
#include "passes/analysis/hw_operands.h"
#include "passes/registry.h"

namespace chop::cli {

void print_hardware_cost(graph::Graph& g, passes::PassContext& pctx, std::ostream& out) {
  std::ostream* saved_out = pctx.out;
  const std::string saved_path = pctx.option_path;
  const passes::Json ran_before = pctx.results;
  pctx.option_path.clear();
  // The passes print their tables; those the pipeline already ran (and printed) are not rerun.
  pctx.out = &out;
  passes::HardwareMetricOptions options;
  options.reuse = &ran_before;
  const passes::Json m = passes::hardware_metrics(
      g, {"macs", "bops", "weight_bits", "zero_weights", "luts", "dsps", "bram", "ebops"}, pctx,
      options);
  passes::Json acc = passes::Json{{"n_integer_mac", 0}};
  std::string acc_error;
  try {
    const bool shown = ran_before.contains("accumulator_widths");
    pctx.out = shown ? nullptr : &out;
    acc = shown ? ran_before["accumulator_widths"]
                : passes::run_pass("accumulator_widths", g, passes::Json::object(), pctx).info;
  } catch (const UserError& e) {
    acc_error = e.what();  // e.g. a 64-bit quantizer: no bit-exact formats, the rest stands
  }
  pctx.out = saved_out;
  pctx.option_path = saved_path;
  out << "Hardware cost per inference: " << passes::figure(m["macs"].get<double>()) << " MACs, "
      << passes::figure(m["bops"].get<double>()) << " BOPs, "
      << passes::figure(m["ebops"].get<double>()) << " EBOPs, "
      << passes::figure(m["weight_bits"].get<double>()) << " weight bits ("
      << with_thousands(m["zero_weights"].get<int64_t>()) << " zero weights); L0 estimate "
      << passes::figure(m["luts"].get<double>()) << " LUTs, "
      << passes::figure(m["dsps"].get<double>()) << " DSPs, "
      << passes::figure(m["bram"].get<double>()) << " BRAM";
  if (acc["n_integer_mac"].get<int>() > 0)
    out << "; widest accumulator " << acc["max_width"].get<int>() << " bits";
  out << "\n";
  if (!acc_error.empty()) out << "Accumulator widths not inferred: " << acc_error << "\n";
}

}  // namespace chop::cli
