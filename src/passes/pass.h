// The pass interface: a named function (graph, options) -> result, its options schema, and the
// context every pass shares (dummy batch, input batches, device, output folder, debug mode).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "config/table_reader.h"
#include "graph/graph.h"

namespace chop::passes {

using Json = nlohmann::ordered_json;

/// What a pass returns besides the (possibly changed) graph: MASE's info dict and whether the
/// graph's structure, tensors or quantizers changed.
struct PassResult {
  Json info = Json::object();
  bool changed = false;
};

/// Shared state for one pipeline run. Every field has a usable default so tests and runners can
/// run passes on a bare context.
struct PassContext {
  /// One batch (batch dimension first) for add_common_metadata; undefined: a seeded N(0, 1)
  /// batch of `batch_size` samples shaped like the placeholder.
  at::Tensor dummy_input;
  /// Batch `i` of the data the profiling and latency passes run on (MASE's InputGenerator over
  /// the train split); null: seeded N(0, 1) batches.
  std::function<at::Tensor(int64_t batch_index)> input_batch;
  int64_t batch_size = 8;
  uint64_t seed = 0;
  std::string device = "cpu";
  /// Folder for reports and CSVs (MASE's <project>/software/transform); "" writes nothing.
  std::string save_dir;
  bool debug = false;           // verify the graph after every pass, log timings
  std::ostream* out = nullptr;  // where report passes print tables; null: nowhere
  /// Key path of the options of the pass being run ("passes.quantize"), for error messages.
  std::string option_path;
  /// "file:line:col" for a TOML key path (null: the key path itself is the location).
  std::function<std::string(const std::string& key_path)> where;
  /// true: `where` returns the whole description of a key (location and the key path the user
  /// wrote), e.g. for a configuration sampled from a search space's seed tables.
  bool where_names_key = false;
  /// Infos of the passes run so far, by pass name (a later run of a pass replaces its entry).
  Json results = Json::object();

  /// Location of `key` below the current pass's options ("" names the options table itself).
  std::string locate(const std::string& key = "") const;
  /// The dummy batch (creating the seeded one on first use), on the graph's device.
  at::Tensor dummy_batch(const graph::Graph& g);
  /// Input batch `i`: input_batch(i) or a seeded random batch like the dummy one.
  at::Tensor batch(const graph::Graph& g, int64_t i);
};

/// One option of a pass: a documented config key (config/table_reader.h).
using PassOption = config::KeyDoc;

struct Pass {
  std::string name;
  std::string kind;  // "analysis" or "transform"
  std::string summary;
  std::vector<PassOption> options;
  /// true: keys outside `options` are accepted and checked by the pass (quantize's per-node
  /// tables).
  bool open_options = false;
  PassResult (*run)(graph::Graph& g, const Json& options, PassContext& ctx);
  /// Optional: checks resolved option values (allowed strings, ranges) before any graph is
  /// seen, so search runners and budgets reject bad options at parse time. Throws ConfigError.
  void (*check)(const Json& options, const PassContext& ctx) = nullptr;
};

}  // namespace chop::passes
