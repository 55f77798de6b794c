// Merges defaults < TOML < command line into the effective run configuration and prints MASE's
// "Name | Default | Config. File | Manual Override | Effective" table.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/options.h"
#include "config/toml_document.h"

namespace chop::config {

struct ResolvedRow {
  std::string dest;
  Json default_value;
  std::optional<Json> toml_value;
  std::optional<Json> cli_value;
  Json effective;
};

class RunConfig {
 public:
  std::vector<ResolvedRow> rows;
  std::optional<TomlDocument> toml;  // the --config file, when given

  const Json& get(const std::string& dest) const;  // asserts the dest exists
  bool is_null(const std::string& dest) const { return get(dest).is_null(); }
  std::string str(const std::string& dest) const;
  int64_t integer(const std::string& dest) const;
  double number(const std::string& dest) const;
  bool flag(const std::string& dest) const;
  /// A top-level TOML table ("passes", "search", ...) or null.
  const Json* table(const std::string& name) const;
  /// "file:line:col" for a TOML key path, or "" without a TOML file.
  std::string where(const std::string& key_path) const;

  /// MASE's table; the "Config. File" column only when a TOML was given.
  std::string render_table() const;
};

/// `cli` holds only the options the user typed (dest -> typed value). The TOML is validated:
/// unknown top-level keys and wrongly typed values raise ConfigError with file:line:col.
/// Unlike MASE, an explicit CLI value always wins, even when it equals the default.
RunConfig resolve(const Json& cli, std::optional<TomlDocument> toml);

/// Converts a command-line string to the option's type; throws UserError naming the flag.
Json parse_cli_value(const OptionSpec& spec, const std::string& text);

}  // namespace chop::config
