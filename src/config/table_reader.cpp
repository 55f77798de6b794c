// Reading documented config tables; see table_reader.h.
#include "config/table_reader.h"

#include <cmath>

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"

namespace chop::config {

Locate locate_in(const TomlDocument* doc, const std::string& table_path) {
  return [doc, table_path](const std::string& key) {
    const std::string path =
        key.empty() ? table_path : (table_path.empty() ? key : table_path + "." + key);
    const std::string w = doc ? doc->where(path) : "";
    return w.empty() || (doc && w == doc->path) ? (doc ? doc->path + " (" + path + ")" : path)
                                                : w + " (" + path + ")";
  };
}

Locate locate_below(const Locate& locate, const std::string& sub) {
  return [locate, sub](const std::string& key) {
    const std::string k = key.empty() ? sub : sub + "." + key;
    return locate ? locate(k) : k;
  };
}

const KeyDoc* TableDoc::find(const std::string& key) const {
  for (const auto& k : keys)
    if (k.key == key) return &k;
  return nullptr;
}

std::vector<std::string> TableDoc::key_names() const {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(k.key);
  return out;
}

std::string type_words(const std::string& type) {
  if (type == "int") return "an integer";
  if (type == "number") return "a number";
  if (type == "bool") return "true or false";
  if (type == "string") return "a string";
  if (type == "list") return "a list";
  if (type == "table") return "a table";
  if (type == "number|auto") return "a number or \"auto\"";
  return "a value";
}

bool has_type(const Json& v, const std::string& type) {
  if (type == "any") return true;
  if (type == "int")
    return v.is_number_integer() ||
           (v.is_number_float() && v.get<double>() == static_cast<double>(v.get<int64_t>()));
  if (type == "number") return v.is_number();
  if (type == "bool") return v.is_boolean();
  if (type == "string") return v.is_string();
  if (type == "list") return v.is_array();
  if (type == "table") return v.is_object();
  if (type == "number|auto")
    return v.is_number() || (v.is_string() && to_lower(v.get<std::string>()) == "auto");
  CHOP_ASSERT(false, "unknown config key type " + type);
  return false;
}

TableReader::TableReader(const Json& table, const TableDoc& doc, Locate locate)
    : table_(table.is_null() ? Json::object() : table), doc_(doc), locate_(std::move(locate)) {
  if (!table_.is_object())
    throw ConfigError(this->locate(),
                      "expected a table of options ([" + doc_.path + "]), got " + table_.dump());
  if (doc_.open) return;
  const std::vector<std::string> known = doc_.key_names();
  for (auto it = table_.begin(); it != table_.end(); ++it) {
    if (doc_.find(it.key())) continue;
    throw ConfigError(
        this->locate(it.key()),
        "unknown key '" + it.key() + "' in [" + doc_.path + "]" + did_you_mean(it.key(), known) +
            (known.empty() ? "; this table takes no keys" : "; known keys: " + list_of(known)));
  }
}

std::string TableReader::locate(const std::string& key) const {
  if (locate_) return locate_(key);
  return key.empty() ? doc_.path : doc_.path + "." + key;
}

const KeyDoc& TableReader::spec(const std::string& key) const {
  const KeyDoc* k = doc_.find(key);
  CHOP_ASSERT(k, "key '" + key + "' of [" + doc_.path + "] is read but not documented");
  return *k;
}

const Json* TableReader::value(const std::string& key) const {
  auto it = table_.find(key);
  if (it == table_.end() || it->is_null()) return nullptr;
  return &*it;
}

void TableReader::wrong_type(const std::string& key, const Json& v) const {
  throw ConfigError(locate(key),
                    "'" + key + "' must be " + type_words(spec(key).type) + ", got " + v.dump());
}

bool TableReader::has(const std::string& key) const {
  spec(key);
  return value(key) != nullptr;
}

int64_t TableReader::get_int(const std::string& key, int64_t def, int64_t min_value,
                             int64_t max_value) const {
  spec(key);
  const Json* v = value(key);
  if (!v) return def;
  // A float (1e300) is never silently truncated; an unsigned above int64 is out of range.
  if (!has_type(*v, "int") ||
      (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)))
    wrong_type(key, *v);
  const int64_t x = v->get<int64_t>();
  if (x < min_value || x > max_value)
    throw ConfigError(locate(key), "'" + key + "' must be " +
                                       (max_value == std::numeric_limits<int64_t>::max()
                                            ? "at least " + std::to_string(min_value)
                                            : "between " + std::to_string(min_value) + " and " +
                                                  std::to_string(max_value)) +
                                       ", got " + std::to_string(x));
  return x;
}

double TableReader::get_double(const std::string& key, double def, double min_value,
                               double max_value) const {
  spec(key);
  const Json* v = value(key);
  if (!v) return def;
  if (!v->is_number()) wrong_type(key, *v);
  const double x = v->get<double>();
  // TOML's inf and nan are refused: they would poison every later computation.
  if (!std::isfinite(x) || x < min_value || x > max_value)
    throw ConfigError(locate(key),
                      "'" + key + "' must be a finite number" +
                          (min_value == std::numeric_limits<double>::lowest() &&
                                   max_value == std::numeric_limits<double>::max()
                               ? std::string()
                               : " between " + format_double(min_value) + " and " +
                                     format_double(max_value)) +
                          ", got " + v->dump());
  return x;
}

bool TableReader::get_bool(const std::string& key, bool def) const {
  spec(key);
  const Json* v = value(key);
  if (!v) return def;
  if (!v->is_boolean()) wrong_type(key, *v);
  return v->get<bool>();
}

std::string TableReader::get_string(const std::string& key, const std::string& def,
                                    const std::vector<std::string>& allowed) const {
  spec(key);
  const Json* v = value(key);
  if (!v) return def;
  if (!v->is_string()) wrong_type(key, *v);
  std::string s = v->get<std::string>();
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), s) == allowed.end())
    throw ConfigError(locate(key), "'" + key + "' = \"" + s + "\" is not allowed" +
                                       did_you_mean(s, allowed) + "; expected one of " +
                                       list_of(allowed));
  return s;
}

std::optional<double> TableReader::get_auto_double(const std::string& key,
                                                   std::optional<double> def) const {
  spec(key);
  const Json* v = value(key);
  if (!v) return def;
  if (v->is_string() && to_lower(v->get<std::string>()) == "auto") return std::nullopt;
  if (!v->is_number()) wrong_type(key, *v);
  return v->get<double>();
}

Json TableReader::get_json(const std::string& key) const {
  spec(key);
  const Json* v = value(key);
  return v ? *v : Json();
}

void TableReader::require(const std::string& key) const {
  const KeyDoc& k = spec(key);
  if (!value(key))
    throw ConfigError(locate(key), "[" + doc_.path + "] needs '" + key + "'" +
                                       (k.help.empty() ? std::string() : " (" + k.help + ")"));
}

Json TableReader::resolved() const {
  Json out = Json::object();
  for (auto it = table_.begin(); it != table_.end(); ++it) {
    const KeyDoc* k = doc_.find(it.key());
    if (k && !it.value().is_null() && !has_type(it.value(), k->type))
      wrong_type(it.key(), it.value());
    out[it.key()] = it.value();
  }
  for (const auto& k : doc_.keys) {
    if (out.contains(k.key) && !out[k.key].is_null()) continue;
    if (k.required) require(k.key);
    out[k.key] = k.default_value;
  }
  return out;
}

}  // namespace chop::config
