// Search result files and tables; see search_report.h.
#include "strategy/search_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/strings.h"
#include "core/table.h"

namespace chop::strategy {
namespace {

using Json = nlohmann::ordered_json;

Json attr(const search::FrozenTrial& t, const std::string& key) {
  return t.user_attrs.contains(key) ? t.user_attrs[key] : Json(nullptr);
}

Json number_or_null(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

// Top-level attributes sorted by name; nested values keep their order.
std::vector<std::pair<const std::string*, const Json*>> by_name(const Json& attrs) {
  std::vector<std::pair<const std::string*, const Json*>> out;
  for (auto it = attrs.begin(); it != attrs.end(); ++it) out.emplace_back(&it.key(), &it.value());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  return out;
}
}  // namespace

Json log_row(const search::FrozenTrial& t, bool multi) {
  Json r = Json::object();
  r["number"] = t.number;
  if (multi) {
    size_t n = t.values.size();
    for (size_t i = 0; i < std::max<size_t>(n, 1); ++i)
      r["values_" + std::to_string(i)] = i < n ? number_or_null(t.values[i]) : Json(nullptr);
  } else {
    r["value"] = t.values.empty() ? Json(nullptr) : number_or_null(t.values[0]);
  }
  r["user_attrs_hardware_metrics"] = attr(t, "hardware_metrics");
  r["user_attrs_sampled_config"] = attr(t, "sampled_config");
  r["user_attrs_scaled_metrics"] = attr(t, "scaled_metrics");
  r["user_attrs_software_metrics"] = attr(t, "software_metrics");
  // Any other attrs as pandas' trials_dataframe shows them (infeasible, ...): by name, so a
  // trial reads the same before and after a resume (the storage keeps no attribute order).
  for (const auto& [key, value] : by_name(t.user_attrs))
    if (!r.contains("user_attrs_" + *key)) r["user_attrs_" + *key] = *value;
  for (const auto& [key, value] : by_name(t.system_attrs)) r["system_attrs_" + *key] = *value;
  r["state"] = search::to_string(t.state);
  r["datetime_start"] = t.datetime_start_ms;
  r["datetime_complete"] = t.datetime_complete_ms ? Json(t.datetime_complete_ms) : Json(nullptr);
  r["duration"] = t.datetime_complete_ms ? Json(t.duration_ms()) : Json(nullptr);
  return r;
}

std::string indented_member(const Json& value) {
  std::string text = value.dump(4);
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    out += c;
    if (c == '\n') out += "    ";
  }
  return out;
}

std::string json_object_text(const std::vector<const std::string*>& members) {
  if (members.empty()) return "{}\n";
  size_t size = 4;
  for (const auto* m : members) size += m->size() + 16;
  std::string out;
  out.reserve(size);
  out += "{\n";
  for (size_t i = 0; i < members.size(); ++i) {
    out += "    \"" + std::to_string(i) + "\": ";
    out += *members[i];
    out += i + 1 < members.size() ? ",\n" : "\n";
  }
  out += "}\n";
  return out;
}

namespace {

// log_row's text written member by member, without building (and copying attributes into) the
// row object: what indented_member(log_row(t, multi)) gives, byte for byte (tested). One
// serializer writes every value straight into the row at its depth (dump(4) then re-indenting
// made two strings per member).
class RowWriter {
 public:
  RowWriter() : out_(), ser_(nlohmann::detail::output_adapter<char>(out_), ' ') {}
  void add(const std::string& key, const Json& value) {
    out_ += first_ ? "{\n        " : ",\n        ";
    first_ = false;
    ser_.dump(Json(key), false, false, 0, 0);
    out_ += ": ";
    ser_.dump(value, true, false, 4, 8);
  }
  std::string finish() { return std::move(out_) + "\n    }"; }

 private:
  std::string out_;
  nlohmann::detail::serializer<Json> ser_;
  bool first_ = true;
};

}  // namespace

std::string render_log_row(const search::FrozenTrial& t, bool multi) {
  RowWriter w;
  w.add("number", t.number);
  if (multi) {
    size_t n = t.values.size();
    for (size_t i = 0; i < std::max<size_t>(n, 1); ++i)
      w.add("values_" + std::to_string(i), i < n ? number_or_null(t.values[i]) : Json(nullptr));
  } else {
    w.add("value", t.values.empty() ? Json(nullptr) : number_or_null(t.values[0]));
  }
  static const char* kNamed[] = {"hardware_metrics", "sampled_config", "scaled_metrics",
                                 "software_metrics"};
  for (const char* name : kNamed) {
    auto it = t.user_attrs.find(name);
    w.add(std::string("user_attrs_") + name, it != t.user_attrs.end() ? *it : Json(nullptr));
  }
  for (const auto& [key, value] : by_name(t.user_attrs)) {
    bool named = false;
    for (const char* name : kNamed) named |= *key == name;
    if (!named) w.add("user_attrs_" + *key, *value);
  }
  for (const auto& [key, value] : by_name(t.system_attrs)) w.add("system_attrs_" + *key, *value);
  w.add("state", search::to_string(t.state));
  w.add("datetime_start", t.datetime_start_ms);
  w.add("datetime_complete", t.datetime_complete_ms ? Json(t.datetime_complete_ms) : Json(nullptr));
  w.add("duration", t.datetime_complete_ms ? Json(t.duration_ms()) : Json(nullptr));
  return w.finish();
}

std::string render_log_json(const std::vector<search::FrozenTrial>& trials, bool multi) {
  std::vector<std::string> rows;
  rows.reserve(trials.size());
  for (const auto& t : trials) rows.push_back(render_log_row(t, multi));
  std::vector<const std::string*> members;
  for (const auto& r : rows) members.push_back(&r);
  return json_object_text(members);
}

std::string render_best_json(const std::vector<search::FrozenTrial>& best, bool multi) {
  Json out = Json::object();
  size_t row = 0;
  for (const auto& t : best) {
    Json r = Json::object();
    r["number"] = t.number;
    if (multi) {
      Json v = Json::array();
      for (double x : t.values) v.push_back(number_or_null(x));
      r["value"] = v;
    } else {
      r["value"] = t.values.empty() ? Json(nullptr) : number_or_null(t.values[0]);
    }
    r["software_metrics"] = attr(t, "software_metrics");
    r["hardware_metrics"] = attr(t, "hardware_metrics");
    r["scaled_metrics"] = attr(t, "scaled_metrics");
    r["sampled_config"] = attr(t, "sampled_config");
    out[std::to_string(row++)] = r;
  }
  return out.dump(4) + "\n";
}

std::string beautify(const Json& metrics) {
  if (!metrics.is_object()) return "{}";
  std::string s = "{";
  bool first = true;
  for (auto it = metrics.begin(); it != metrics.end(); ++it) {
    s += (first ? "'" : ", '") + it.key() + "': ";
    first = false;
    const Json& v = it.value();
    if (v.is_number()) {
      double d = std::round(v.get<double>() * 1000.0) / 1000.0;
      s += format_double(d);
    } else {
      std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      s += text.size() > 20 ? text.substr(0, 20) + "..." : text;
    }
  }
  return s + "}";
}

std::string render_best_table(const std::vector<search::FrozenTrial>& best) {
  Table t{{"", "number", "software_metrics", "hardware_metrics", "scaled_metrics"}, {}, {}};
  size_t row = 0;
  for (const auto& tr : best)
    t.rows.push_back(
        {std::to_string(row++), std::to_string(tr.number), beautify(attr(tr, "software_metrics")),
         beautify(attr(tr, "hardware_metrics")), beautify(attr(tr, "scaled_metrics"))});
  return t.render(TableStyle::kMarkdown);
}

}  // namespace chop::strategy
