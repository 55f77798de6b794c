// Search spaces over graphs (MASE's SearchSpaceBase; `GraphSpace`, not to be confused with the
// search engine's `search::ParamSpace` of distributions): a flat list of named choice lists
// ("seq_blocks_2/config/weight_width") and a builder turning one sampled value per choice into a
// candidate graph. One registry table; one file per space.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/table_reader.h"
#include "core/registry.h"
#include "graph/graph.h"

namespace chop::space {

using Json = nlohmann::ordered_json;

/// One searchable choice: a flattened key and its list of values (MASE: choices_flattened).
struct SpaceParam {
  std::string key;
  std::vector<Json> choices;
};

/// A built candidate: the graph to score and the configuration applied (MASE's sampled_config).
struct Candidate {
  graph::Graph graph;
  Json sampled_config = Json::object();
};

/// Everything a space is built from.
struct SpaceSetup {
  const graph::Graph* base = nullptr;  // the (loaded) model; spaces never modify it
  Json table = Json::object();         // the [search.search_space] table
  std::string path = "search.search_space";
  /// "file:line:col" of a key path (falls back to the path itself).
  std::function<std::string(const std::string&)> where = nullptr;
  uint64_t seed = 0;
  std::string locate(const std::string& key) const;
};

class GraphSpace {
 public:
  virtual ~GraphSpace() = default;
  virtual std::string name() const = 0;
  const std::vector<SpaceParam>& params() const { return params_; }
  /// Number of configurations (product of choice counts), saturating at INT64_MAX.
  int64_t size() const;
  /// Builds the candidate for one value per key (every key of params() present).
  virtual Candidate build(const std::map<std::string, Json>& sampled) const = 0;
  /// The candidate of one trial: `trial_seed` seeds anything random in it (architecture
  /// spaces: the fresh weights of resized layers). Default: build(sampled).
  virtual Candidate build_for_trial(const std::map<std::string, Json>& sampled,
                                    uint64_t trial_seed) const {
    return build(sampled);
  }
  /// The TOML location and key path behind "<node>.config[.<key>]" of a sampled quantization
  /// configuration (the seed table it came from); "" for spaces without one.
  virtual std::string locate_sampled(const std::string& key_path) const { return ""; }
  /// True when candidates get their own copy of the weights (training changes them).
  virtual bool copies_weights() const { return false; }
  /// True when candidates start from fresh weights (NAS without inherit_weights): the base
  /// model's weights, trained or not, do not matter.
  virtual bool fresh_weights() const { return false; }

 protected:
  std::vector<SpaceParam> params_;
};

struct SpaceEntry {
  std::string name;
  std::string summary;
  /// Its documented tables: [search.search_space] first, then [search.search_space.setup] (when
  /// it has one). Seeds are per-node tables the space checks itself.
  std::vector<config::TableDoc> tables;
  std::unique_ptr<GraphSpace> (*make)(const SpaceSetup& setup);
};

const Registry<SpaceEntry>& space_registry();
/// Reads `name` from the table and builds the space; ConfigError naming the key otherwise.
std::unique_ptr<GraphSpace> make_graph_space(const SpaceSetup& setup);

std::unique_ptr<GraphSpace> make_mixed_precision_ptq(const SpaceSetup& setup);
std::unique_ptr<GraphSpace> make_mixed_precision_qat(const SpaceSetup& setup);
std::unique_ptr<GraphSpace> make_channel_multiplier(const SpaceSetup& setup);
/// MASE lab 4's seeds (name = [modes], channel_multiplier_in/out, parent_block_name): the
/// channel space runs the redefine_channels pass on the sampled per-node table.
bool is_lab_channel_seed(const Json& seed_table);
std::unique_ptr<GraphSpace> make_lab_channel_space(const SpaceSetup& setup);
std::unique_ptr<GraphSpace> make_channel_multiplier_quantize(const SpaceSetup& setup);

/// The [search.search_space] table of a space with MASE's keys (name, setup, seed), checked
/// against `entry`'s documented tables; the returned reader reads `setup` (empty when absent).
config::TableReader read_space_setup(const SpaceSetup& setup, const std::string& space_name);
/// The row of `name` (asserts it exists).
const SpaceEntry& space_entry(const std::string& name);

/// MASE's flatten_dict/unflatten_dict with "/" (lists are leaves).
void flatten_into(const Json& nested, const std::string& prefix, std::vector<SpaceParam>& out,
                  const std::function<std::string(const std::string&)>& where_of_key);
Json unflatten(const std::map<std::string, Json>& flat);

}  // namespace chop::space
