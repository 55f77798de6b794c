// A parsed TOML file as JSON with MASE's "NA" → null conversion, remembering where each key was
// written so errors can say "file:line:col".
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace chop::config {

using Json = nlohmann::ordered_json;

struct TomlDocument {
  std::string path;
  Json root = Json::object();
  std::map<std::string, std::string> locations;  // "search.strategy.setup.n_trials" -> "f:12:1"

  /// "file:line:col" of a dotted key path, falling back to its nearest parent, then the file.
  std::string where(const std::string& key_path) const;
};

/// Parses a TOML file. Missing/unreadable file -> DataError; syntax error -> ConfigError with
/// file:line:col; a path not ending in .toml -> UserError (MASE requires .toml).
TomlDocument load_toml_file(const std::string& path);
TomlDocument parse_toml_string(const std::string& text, const std::string& source);

/// Dotted-path access into a JSON tree; null if absent.
const Json* find_path(const Json& root, const std::string& dotted);

}  // namespace chop::config
