// The one table of chop's CLI options (MASE's flag names, dests and defaults). It drives CLI
// parsing, --help, TOML key validation and the resolved-configuration table.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chop::config {

using Json = nlohmann::ordered_json;

enum class OptionType { kString, kInt, kFloat, kBool, kPath };

struct OptionSpec {
  std::string flag;                  // "--batch-size" (first name shown in --help)
  std::vector<std::string> aliases;  // "--cpu" for --num-workers, ...
  std::string dest;                  // "batch_size": the TOML key, as in MASE
  OptionType type;
  Json default_value;                // null = None
  std::vector<std::string> choices;  // empty: any value
  std::string group;                 // "general", "trainer", "runtime", "project", "search", ...
  std::string help;
  bool in_table = true;  // MASE prints a row only for dests in CLI_DEFAULTS
  /// Range check in the type the value is used in: "" when `value` is acceptable, else what is
  /// wrong ("must be between 1 and 16 ..."). Applied to command-line and TOML values alike.
  std::string (*check)(const Json& value) = nullptr;
};

// Range checks for option rows (options.cpp).
std::string check_positive_int32(const Json& v);   // batch size: 1 .. 2^31-1
std::string check_int32(const Json& v);            // epochs (<= 0: bounded by max_steps)
std::string check_at_least_one(const Json& v);     // counts: >= 1
std::string check_non_negative(const Json& v);     // seed: 0 .. 2^63-1
std::string check_threads(const Json& v);          // 1 .. max_threads()
std::string check_float32_positive(const Json& v);      // learning rate: (0, FLT_MAX]
std::string check_float32_non_negative(const Json& v);  // weight decay: [0, FLT_MAX]
std::string check_path_component(const Json& v);   // --project: one safe folder name

const std::vector<OptionSpec>& option_table();
const OptionSpec* find_option_by_dest(const std::string& dest);

/// Top-level TOML tables read by actions rather than merged as flags.
const std::vector<std::string>& known_toml_tables();

/// chop's default number of data-loader workers (MASE: os.cpu_count()).
int default_num_workers();

}  // namespace chop::config
