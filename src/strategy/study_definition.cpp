// Study definitions: canonical form, digest and differences; see study_definition.h.
#include "strategy/study_definition.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/digest.h"

namespace chop::strategy {
namespace {

constexpr const char* kFormat = "chop-study-definition";
constexpr int kVersion = 1;

// Object keys sorted at every level: the same definition always has the same text.
Json canonical(const Json& v) {
  if (v.is_object()) {
    std::map<std::string, const Json*> sorted;
    for (auto it = v.begin(); it != v.end(); ++it) sorted[it.key()] = &it.value();
    Json out = Json::object();
    for (const auto& [k, x] : sorted) out[k] = canonical(*x);
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& x : v) out.push_back(canonical(x));
    return out;
  }
  return v;
}

// File names are shown in messages but never compared: a renamed or moved file with the same
// bytes defines the same study.
Json compared_part(const Json& definition) {
  Json d = definition;
  for (const char* section : {"model", "checkpoint"})
    if (d.contains(section) && d[section].is_object()) d[section].erase("file");
  return d;
}

const Json& at_or_null(const Json& obj, const std::string& key) {
  static const Json null_value;
  if (!obj.is_object()) return null_value;
  auto it = obj.find(key);
  return it == obj.end() ? null_value : *it;
}

std::string short_sha(const Json& v) {
  return v.is_string() ? v.get<std::string>().substr(0, 12) + "…" : std::string("none");
}

// Leaf-by-leaf differences under `path` ("runners.sw_runner.basic_train.max_epochs 1 → 2").
void diff_leaves(const std::string& path, const Json& a, const Json& b,
                 std::vector<std::string>& out, const std::set<std::string>& skip = {}) {
  if (a == b) return;
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
    for (const auto& k : keys) {
      if (skip.count(k)) continue;
      const std::string p = path.empty() ? k : path + "." + k;
      if (!a.contains(k))
        out.push_back(p + " added (" + show_value(b[k]) + ")");
      else if (!b.contains(k))
        out.push_back(p + " removed (was " + show_value(a[k]) + ")");
      else
        diff_leaves(p, a[k], b[k], out);
    }
    return;
  }
  out.push_back(path + " " + show_value(a) + " → " + show_value(b));
}

std::string names_list(const std::vector<std::string>& names) {
  std::string s;
  for (size_t k = 0; k < names.size() && k < 3; ++k) s += (k ? ", " : "") + names[k];
  if (names.size() > 3) s += " and " + std::to_string(names.size() - 3) + " more";
  return s;
}

void diff_params(const Json& a, const Json& b, std::vector<std::string>& out) {
  if (a == b) return;
  std::vector<std::string> removed, added;
  if (a.is_object())
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.is_object() || !b.contains(it.key()))
        removed.push_back(it.key());
      else if (b[it.key()] != it.value())
        out.push_back("parameter " + it.key() + " choices " + show_value(it.value()) + " → " +
                      show_value(b[it.key()]));
    }
  if (b.is_object())
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.is_object() || !a.contains(it.key())) added.push_back(it.key());
  if (!removed.empty()) out.push_back("parameters no longer searched: " + names_list(removed));
  if (!added.empty()) out.push_back("new parameters: " + names_list(added));
}

void diff_model(const Json& a, const Json& b, std::vector<std::string>& out) {
  if (at_or_null(a, "name") != at_or_null(b, "name")) {
    out.push_back("model " + show_value(at_or_null(a, "name")) + " → " +
                  show_value(at_or_null(b, "name")));
    return;
  }
  const size_t before = out.size();
  diff_leaves("model_config", at_or_null(a, "config"), at_or_null(b, "config"), out);
  if (out.size() != before) return;
  if (at_or_null(a, "file_sha256") != at_or_null(b, "file_sha256")) {
    out.push_back("model file differs (sha256 " + short_sha(at_or_null(a, "file_sha256")) + " → " +
                  short_sha(at_or_null(b, "file_sha256")) + ")");
    return;
  }
  if (at_or_null(a, "graph_sha256") != at_or_null(b, "graph_sha256"))
    out.push_back("model graph differs: its layers or shapes changed (graph sha256 " +
                  short_sha(at_or_null(a, "graph_sha256")) + " → " +
                  short_sha(at_or_null(b, "graph_sha256")) + ")");
}

std::string show_checkpoint(const Json& c) {
  if (!c.is_object()) return "none (no --load)";
  const Json& file = at_or_null(c, "file");
  return (file.is_string() ? file.get<std::string>() + " " : std::string()) + "(sha256 " +
         short_sha(at_or_null(c, "sha256")) + ")";
}

void diff_checkpoint(const Json& a, const Json& b, std::vector<std::string>& out) {
  if (at_or_null(a, "sha256") == at_or_null(b, "sha256") && a.is_null() == b.is_null()) return;
  out.push_back(std::string(a.is_object() && b.is_object() ? "checkpoint digest differs"
                                                           : "checkpoint differs") +
                ": " + show_checkpoint(a) + " → " + show_checkpoint(b));
}

}  // namespace

std::string show_value(const Json& v) {
  if (v.is_null()) return "none";
  if (v.is_array()) {
    std::string s = "[";
    for (size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + show_value(v[k]);
    return s + "]";
  }
  if (v.is_object()) {
    std::string s = "{";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      s += (first ? "" : ", ") + it.key() + ": " + show_value(it.value());
      first = false;
    }
    return s + "}";
  }
  return v.dump();
}

Json make_definition(const StudyDefinitionParts& p) {
  Json params = Json::object();
  for (const auto& [key, choices] : p.params) params[key] = choices;
  Json d = Json::object();
  d["format"] = kFormat;
  d["version"] = kVersion;
  d["search_space"] = p.search_space;
  d["params"] = params;
  d["param_encoding"] = p.param_encoding;
  d["model"] = p.model;
  d["checkpoint"] = p.checkpoint;
  d["runners"] = p.runners;
  d["objectives"] = p.objectives;
  d["constraints"] = p.constraints;
  d["data"] = p.data;
  return canonical(d);
}

std::string definition_digest(const Json& definition) {
  return sha256_hex(canonical(compared_part(definition)).dump()).substr(0, 16);
}

std::vector<std::string> definition_differences(const Json& stored, const Json& current) {
  std::vector<std::string> out;
  const Json a = canonical(compared_part(stored)), b = canonical(compared_part(current));
  if (a == b) return out;
  // The space's name and set-up (by = "type" / "name") first; its seed tables only when the
  // parameter lists agree (otherwise the parameter differences below say it better).
  const Json& pa = at_or_null(a, "params");
  const Json& pb = at_or_null(b, "params");
  std::set<std::string> skip_space;
  if (pa != pb) skip_space.insert("seed");
  diff_leaves("search_space", at_or_null(a, "search_space"), at_or_null(b, "search_space"), out,
              skip_space);
  diff_params(pa, pb, out);
  diff_leaves("param_encoding", at_or_null(a, "param_encoding"), at_or_null(b, "param_encoding"),
              out);
  diff_model(at_or_null(a, "model"), at_or_null(b, "model"), out);
  // (Compared without file names, shown with them.)
  diff_checkpoint(at_or_null(stored, "checkpoint"), at_or_null(current, "checkpoint"), out);
  for (const char* section : {"runners", "objectives", "constraints", "data"})
    diff_leaves(section, at_or_null(a, section), at_or_null(b, section), out);
  // Anything else (a definition written by another chop version) still counts.
  static const std::set<std::string> known = {"search_space", "params",      "param_encoding",
                                              "model",        "checkpoint",  "runners",
                                              "objectives",   "constraints", "data"};
  Json rest_a = a.is_object() ? a : Json::object(), rest_b = b.is_object() ? b : Json::object();
  for (const auto& k : known) rest_a.erase(k), rest_b.erase(k);
  diff_leaves("", rest_a, rest_b, out);
  return out;
}

std::string summarize_differences(const std::vector<std::string>& items, size_t max_items) {
  std::string s;
  for (size_t k = 0; k < items.size() && k < max_items; ++k) s += (k ? "; " : "") + items[k];
  if (items.size() > max_items)
    s += "; and " + std::to_string(items.size() - max_items) + " more difference" +
         (items.size() - max_items > 1 ? "s" : "");
  return s;
}

}  // namespace chop::strategy
