// The one way to read a config table (runner options, search set-up, sampler/pruner options,
// pass options, space set-up, quantizer configs, model_config, constraints): each table kind is
// documented once as a TableDoc (its keys, types, defaults, help), from which `chop list config`
// and docs/config-reference.md are generated; a TableReader checks a table against its doc
// (unknown key with did-you-mean, wrong type) and reads typed values, every error a ConfigError
// at the key's file:line:col.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "config/toml_document.h"

namespace chop::config {

/// Maps a key of one table ("" = the table itself) to "file:line:col (full.key.path)" for
/// messages. Null: the key itself names the location.
using Locate = std::function<std::string(const std::string& key)>;

/// The Locate for the table at dotted `table_path` of `doc` (null doc: "table_path.key").
Locate locate_in(const TomlDocument* doc, const std::string& table_path);
/// `locate` below `sub` ("seed" -> "key" becomes "seed.key").
Locate locate_below(const Locate& locate, const std::string& sub);

/// One documented key. `type`: "int", "number", "bool", "string", "list", "table", "any", or
/// "number|auto" ("auto" or a number).
struct KeyDoc {
  std::string key;
  std::string type;
  Json default_value;  // null with required = false: absent means "not set"
  bool required = false;
  std::string help;
};

/// One documented table kind.
struct TableDoc {
  std::string path;  // "search.strategy.setup", "passes.quantize", "...sampler_options (tpe)"
  std::string summary;
  std::vector<KeyDoc> keys;
  /// Further keys are accepted and checked by the table's owner (per-node tables); `open_keys`
  /// says what they are, for the docs.
  bool open = false;
  std::string open_keys{};

  const KeyDoc* find(const std::string& key) const;
  std::vector<std::string> key_names() const;
};

/// "must be an integer" style words for a KeyDoc type.
std::string type_words(const std::string& type);
/// True when `v` has `type` (null is never checked here: "NA" means unset).
bool has_type(const Json& v, const std::string& type);

class TableReader {
 public:
  /// Checks every key of `table` against `doc` (unknown key -> ConfigError at its location, with
  /// did-you-mean and the known keys); a non-table value is a ConfigError too. Null = empty.
  TableReader(const Json& table, const TableDoc& doc, Locate locate);

  /// Present and not null ("NA").
  bool has(const std::string& key) const;
  /// Typed reads; absent or null -> `def`; wrong type -> ConfigError naming the key.
  int64_t get_int(const std::string& key, int64_t def,
                  int64_t min_value = std::numeric_limits<int64_t>::min(),
                  int64_t max_value = std::numeric_limits<int64_t>::max()) const;
  /// Finite only (inf and nan are refused), within [min_value, max_value].
  double get_double(const std::string& key, double def,
                    double min_value = std::numeric_limits<double>::lowest(),
                    double max_value = std::numeric_limits<double>::max()) const;
  bool get_bool(const std::string& key, bool def) const;
  /// `allowed` non-empty: the value must be one of them (did-you-mean otherwise).
  std::string get_string(const std::string& key, const std::string& def,
                         const std::vector<std::string>& allowed = {}) const;
  /// "auto" (any case) -> nullopt; a number -> its value.
  std::optional<double> get_auto_double(const std::string& key, std::optional<double> def) const;
  /// The raw value (null when absent).
  Json get_json(const std::string& key) const;
  /// ConfigError when `key` is absent or null: "<what> needs <key> (<help>)".
  void require(const std::string& key) const;

  /// Every documented key, with its default when absent or null ("NA"), types checked; open
  /// tables keep their other keys as given. Required keys must be present.
  Json resolved() const;

  /// Location of `key` ("" = the table).
  std::string locate(const std::string& key = "") const;
  const Json& table() const { return table_; }
  const TableDoc& doc() const { return doc_; }

 private:
  const KeyDoc& spec(const std::string& key) const;  // asserts the key is documented
  const Json* value(const std::string& key) const;   // null when absent or "NA"
  [[noreturn]] void wrong_type(const std::string& key, const Json& v) const;

  Json table_;
  const TableDoc& doc_;
  Locate locate_;
};

}  // namespace chop::config
