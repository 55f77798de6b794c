// Typed option reading with unknown-key detection for sampler and pruner options.
#include "search/options.h"

#include "core/error.h"
#include "core/strings.h"

namespace chop::search {

Options::Options(const Json& options, std::string where)
    : options_(options.is_null() ? Json::object() : options), where_(std::move(where)) {
  if (!options_.is_object())
    throw ConfigError(where_, "expected a table of options, got " + options_.dump());
}

const Json* Options::find(const std::string& key) {
  known_.insert(key);
  auto it = options_.find(key);
  if (it == options_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool Options::has(const std::string& key) const {
  auto it = options_.find(key);
  return it != options_.end() && !it->is_null();
}

double Options::get_double(const std::string& key, double def) {
  const Json* v = find(key);
  if (!v) return def;
  if (!v->is_number()) throw ConfigError(where_ + "." + key, "expected a number, got " + v->dump());
  return v->get<double>();
}

int64_t Options::get_int(const std::string& key, int64_t def) {
  const Json* v = find(key);
  if (!v) return def;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float() && v->get<double>() == static_cast<double>(v->get<int64_t>()))
    return v->get<int64_t>();
  throw ConfigError(where_ + "." + key, "expected an integer, got " + v->dump());
}

bool Options::get_bool(const std::string& key, bool def) {
  const Json* v = find(key);
  if (!v) return def;
  if (!v->is_boolean())
    throw ConfigError(where_ + "." + key, "expected true or false, got " + v->dump());
  return v->get<bool>();
}

std::string Options::get_string(const std::string& key, const std::string& def) {
  const Json* v = find(key);
  if (!v) return def;
  if (!v->is_string()) throw ConfigError(where_ + "." + key, "expected a string, got " + v->dump());
  return v->get<std::string>();
}

Json Options::get_json(const std::string& key) {
  const Json* v = find(key);
  return v ? *v : Json();
}

std::optional<double> Options::get_auto_double(const std::string& key, std::optional<double> def) {
  const Json* v = find(key);
  if (!v) return def;
  if (v->is_string() && to_lower(v->get<std::string>()) == "auto") return std::nullopt;
  if (!v->is_number())
    throw ConfigError(where_ + "." + key, "expected a number or \"auto\", got " + v->dump());
  return v->get<double>();
}

void Options::finish() const {
  std::vector<std::string> known(known_.begin(), known_.end());
  for (auto it = options_.begin(); it != options_.end(); ++it) {
    if (known_.count(it.key())) continue;
    throw ConfigError(
        where_ + "." + it.key(),
        "unknown option" + did_you_mean(it.key(), known) +
            (known.empty() ? "; this takes no options" : "; valid options: " + list_of(known)));
  }
}

}  // namespace chop::search
