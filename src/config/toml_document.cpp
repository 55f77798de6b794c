// TOML loading via toml++; see toml_document.h.
#include "config/toml_document.h"

#include <toml++/toml.h>

#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"

namespace chop::config {
namespace {

std::string loc(const std::string& path, const toml::source_region& r) {
  return path + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

Json convert(const toml::node& node, const std::string& key_path, TomlDocument& doc) {
  doc.locations[key_path] = loc(doc.path, node.source());
  if (auto t = node.as_table()) {
    Json obj = Json::object();
    for (auto&& [k, v] : *t) {
      std::string child =
          key_path.empty() ? std::string(k.str()) : key_path + "." + std::string(k.str());
      obj[std::string(k.str())] = convert(v, child, doc);
    }
    return obj;
  }
  if (auto a = node.as_array()) {
    Json arr = Json::array();
    size_t i = 0;
    for (auto&& v : *a) arr.push_back(convert(v, key_path + "[" + std::to_string(i++) + "]", doc));
    return arr;
  }
  if (auto s = node.as_string()) {
    // MASE converts every "NA" string, however deeply nested, to None.
    if (s->get() == "NA") return nullptr;
    return s->get();
  }
  if (auto i = node.as_integer()) return i->get();
  if (auto f = node.as_floating_point()) return f->get();
  if (auto b = node.as_boolean()) return b->get();
  throw ConfigError(loc(doc.path, node.source()),
                    "key '" + key_path +
                        "' has a date/time value; chop expects numbers, strings, "
                        "booleans, arrays or tables");
}

}  // namespace

std::string TomlDocument::where(const std::string& key_path) const {
  std::string k = key_path;
  while (!k.empty()) {
    auto it = locations.find(k);
    if (it != locations.end()) return it->second;
    size_t dot = k.find_last_of('.');
    if (dot == std::string::npos) break;
    k = k.substr(0, dot);
  }
  return path;
}

TomlDocument parse_toml_string(const std::string& text, const std::string& source) {
  TomlDocument doc;
  doc.path = source;
  try {
    toml::table tbl = toml::parse(text, source);
    doc.root = convert(tbl, "", doc);
    doc.locations.erase("");
  } catch (const toml::parse_error& e) {
    throw ConfigError(loc(source, e.source()),
                      "TOML syntax error: " + std::string(e.description()));
  }
  return doc;
}

TomlDocument load_toml_file(const std::string& path) {
  if (!ends_with(path, ".toml"))
    throw UserError("configuration file '" + path + "' must end in .toml");
  if (!std::filesystem::exists(path))
    throw DataError(path, "configuration file not found; check the --config path");
  // read_file refuses folders, FIFOs and devices, which would block or never end.
  return parse_toml_string(read_file(path), path);
}

const Json* find_path(const Json& root, const std::string& dotted) {
  const Json* cur = &root;
  for (const auto& part : split(dotted, '.')) {
    if (!cur->is_object() || !cur->contains(part)) return nullptr;
    cur = &(*cur)[part];
  }
  return cur;
}

}  // namespace chop::config
