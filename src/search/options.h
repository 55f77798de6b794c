// Typed reading of a sampler's/pruner's JSON options with defaults, and a clear ConfigError for
// a wrong type or an unknown key (naming the key and listing the valid ones).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "search/distribution.h"

namespace chop::search {

class Options {
 public:
  /// `where` prefixes error messages, e.g. "search.strategy.sampler_options".
  Options(const Json& options, std::string where);

  bool has(const std::string& key) const;
  double get_double(const std::string& key, double def);
  int64_t get_int(const std::string& key, int64_t def);
  bool get_bool(const std::string& key, bool def);
  std::string get_string(const std::string& key, const std::string& def);
  /// The raw value (null when absent); marks the key as known.
  Json get_json(const std::string& key);
  /// "auto" or a number: nullopt means auto.
  std::optional<double> get_auto_double(const std::string& key, std::optional<double> def);
  /// Throws ConfigError if `options` holds a key no getter asked for.
  void finish() const;
  const std::string& where() const { return where_; }

 private:
  const Json* find(const std::string& key);
  Json options_;
  std::string where_;
  std::set<std::string> known_;
};

}  // namespace chop::search
