// add_software_metadata: MASE's software metadata (mase.md §6.2) — an empty `stat` table for
// every tensor arg (data_in_i, parameters, buffers except BatchNorm's num_batches_tracked) and
// for data_out_0, which profile_statistics later fills.
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

PassResult run(graph::Graph& g, const Json&, PassContext&) {
  int64_t n_entries = 0;
  for (auto& n : g.nodes()) {
    Json args = Json::object();
    if (n.op != graph::FxOp::kPlaceholder) {
      for (size_t i = 0; i < n.inputs.size(); ++i)
        args["data_in_" + std::to_string(i)] = Json{{"stat", Json::object()}};
    }
    if (n.op == graph::FxOp::kCallModule) {
      for (const auto& [pn, t] : n.params) args[pn] = Json{{"stat", Json::object()}};
      for (const auto& [bn, t] : n.buffers)
        if (bn != "num_batches_tracked") args[bn] = Json{{"stat", Json::object()}};
    }
    n_entries += static_cast<int64_t>(args.size()) + 1;
    Json& sw = n.meta["software"];
    sw["args"] = std::move(args);
    sw["results"] = Json{{"data_out_0", Json{{"stat", Json::object()}}}};
  }
  PassResult r;
  r.info["n_entries"] = n_entries;
  return r;
}

}  // namespace

Pass add_software_metadata_pass() {
  return Pass{"add_software_metadata",
              "analysis",
              "MASE's software metadata: an empty stat table per tensor arg and result",
              {},
              false,
              run};
}

}  // namespace chop::passes
