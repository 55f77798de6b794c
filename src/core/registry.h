// One registry template for every extensible kind (models, data sets, passes, samplers, pruners,
// runners, search spaces, actions, quantizer families): rows in display order, lookup by name or
// alias under one spelling rule, the list of names, and one unknown-name message with a
// did-you-mean. Adding to a kind = one row in its table plus the row's own file pair.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/strings.h"

namespace chop {

/// The one spelling rule: case, '-', '_' and spaces do not matter, so "Brute-Force",
/// "brute_force" and "bruteforce" name the same row ("jsc_tiny" = "jsc-tiny").
std::string registry_key(std::string_view name);

/// How a registry names its rows in messages.
struct RegistryNames {
  std::string singular;      // "sampler", "data set"
  std::string plural;        // "samplers", "data sets"
  std::string list_command;  // "chop list samplers" ("" for none)
};

namespace registry_detail {
template <typename E, typename = void>
struct HasAliases : std::false_type {};
template <typename E>
struct HasAliases<E, std::void_t<decltype(std::declval<const E&>().aliases)>> : std::true_type {};
}  // namespace registry_detail

/// `Entry` has a `std::string name` and optionally `std::vector<std::string> aliases`.
template <typename Entry>
class Registry {
 public:
  Registry(RegistryNames names, std::vector<Entry> rows)
      : names_(std::move(names)), rows_(std::move(rows)) {
    for (size_t i = 0; i < rows_.size(); ++i) {
      add_key(rows_[i].name, i);
      if constexpr (registry_detail::HasAliases<Entry>::value)
        for (const auto& a : rows_[i].aliases) add_key(a, i);
    }
  }

  const std::vector<Entry>& rows() const { return rows_; }
  auto begin() const { return rows_.begin(); }
  auto end() const { return rows_.end(); }
  size_t size() const { return rows_.size(); }
  const RegistryNames& kind() const { return names_; }

  /// The row named `name` (or one of its aliases) under the spelling rule; null when none.
  const Entry* find(std::string_view name) const {
    auto it = index_.find(registry_key(name));
    return it == index_.end() ? nullptr : &rows_[it->second];
  }

  /// Canonical names, in display order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : rows_) out.push_back(e.name);
    return out;
  }

  /// "unknown sampler 'tpee' (did you mean 'tpe'?); known samplers: random, tpe, ... (see
  /// `chop list samplers`)".
  std::string unknown(const std::string& name) const {
    const std::vector<std::string> all = names();
    return "unknown " + names_.singular + " '" + name + "'" + did_you_mean(name, all) + "; known " +
           names_.plural + ": " + list_of(all) +
           (names_.list_command.empty() ? "" : " (see `" + names_.list_command + "`)");
  }

  /// find(name), or UserError(unknown(name)).
  const Entry& get(const std::string& name) const {
    if (const Entry* e = find(name)) return *e;
    throw UserError(unknown(name));
  }
  /// find(name), or ConfigError at `where` (a config file location).
  const Entry& get(const std::string& name, const std::string& where) const {
    if (const Entry* e = find(name)) return *e;
    throw ConfigError(where, unknown(name));
  }

 private:
  void add_key(const std::string& spelling, size_t row) {
    const bool fresh = index_.emplace(registry_key(spelling), row).second;
    CHOP_ASSERT(fresh, names_.singular + " '" + spelling + "' collides with another row");
  }

  RegistryNames names_;
  std::vector<Entry> rows_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace chop
