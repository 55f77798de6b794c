// The trial table; see trial_table.h.
#include "report/trial_table.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "core/strings.h"
#include "report/chart_util.h"

namespace chop::report {
namespace {

Json number_or_null(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

// Union of the numeric leaves of user_attrs[attr] over every trial, in first-seen order.
std::vector<std::string> leaf_names(const std::vector<search::FrozenTrial>& trials,
                                    const std::string& attr) {
  std::vector<std::string> out;
  for (const auto& t : trials)
    if (t.user_attrs.contains(attr))
      for (const auto& [k, v] : numeric_leaves(t.user_attrs[attr]))
        if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  return out;
}

std::string trial_note(const search::FrozenTrial& t) {
  std::vector<std::string> parts;
  if (t.system_attrs.contains("fail_reason") && t.system_attrs["fail_reason"].is_string())
    parts.push_back(t.system_attrs["fail_reason"].get<std::string>());
  if (t.user_attrs.contains("violated_constraints") &&
      t.user_attrs["violated_constraints"].is_object()) {
    const Json& v = t.user_attrs["violated_constraints"];
    for (auto it = v.begin(); it != v.end(); ++it) {
      const Json& c = it.value();
      if (c.is_object() && c.contains("value") && c.contains("limit"))
        parts.push_back(it.key() + " " + c["value"].dump() + " > " + c["limit"].dump());
      else
        parts.push_back(it.key());
    }
  }
  for (auto it = t.system_attrs.begin(); it != t.system_attrs.end(); ++it)
    if (it.key().find("reused") != std::string::npos && it.value().is_number_integer())
      parts.push_back("result reused from trial " + it.value().dump());
  return join(parts, "; ");
}

}  // namespace

std::string format_local_time(int64_t ms) {
  if (ms <= 0) return "";
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

Json trial_table(const ReportContext& ctx) {
  const auto& study = ctx.study;
  Json columns = Json::array();
  auto col = [&](const std::string& title, const char* type) {
    columns.push_back({{"title", title}, {"type", type}});
  };
  col("number", "number");
  col("state", "text");
  for (size_t k = 0; k < study.n_objectives(); ++k) col(study.objective_names[k], "number");
  for (const auto& p : ctx.params) col(p.name, p.by_choice() ? "text" : "number");
  const char* groups[] = {"software_metrics", "hardware_metrics", "scaled_metrics"};
  std::vector<std::vector<std::string>> leaves;
  for (const char* g : groups) {
    leaves.push_back(leaf_names(study.trials, g));
    for (const auto& name : leaves.back()) col(std::string(g) + "." + name, "number");
  }
  col("sampled_config", "text");
  col("datetime_start", "text");
  col("duration (s)", "number");
  col("notes", "text");

  Json rows = Json::array();
  for (size_t i = 0; i < study.trials.size(); ++i) {
    const auto& t = study.trials[i];
    Json r = Json::array();
    r.push_back(t.number);
    r.push_back(ctx.summary.category[i]);
    for (size_t k = 0; k < study.n_objectives(); ++k)
      r.push_back(k < t.values.size() ? number_or_null(t.values[k]) : Json(nullptr));
    for (const auto& p : ctx.params) r.push_back(param_value(p, t));
    for (size_t g = 0; g < 3; ++g) {
      std::vector<std::pair<std::string, double>> values;
      if (t.user_attrs.contains(groups[g])) values = numeric_leaves(t.user_attrs[groups[g]]);
      for (const auto& name : leaves[g]) {
        Json cell = nullptr;
        for (const auto& [k, v] : values)
          if (k == name) cell = number_or_null(v);
        r.push_back(cell);
      }
    }
    r.push_back(t.user_attrs.contains("sampled_config")
                    ? Json(t.user_attrs["sampled_config"].dump())
                    : Json(nullptr));
    r.push_back(format_local_time(t.datetime_start_ms));
    r.push_back(t.datetime_complete_ms > 0 ? Json(static_cast<double>(t.duration_ms()) / 1000.0)
                                           : Json(nullptr));
    r.push_back(trial_note(t));
    rows.push_back(std::move(r));
  }
  return {{"columns", columns}, {"rows", rows}};
}

}  // namespace chop::report
