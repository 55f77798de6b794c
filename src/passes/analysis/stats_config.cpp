// Keyword checking for the profiler's stats (MASE's names and defaults); see stats.h.
#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/strings.h"
#include "passes/analysis/stats.h"
#include "passes/analysis/stats_detail.h"

namespace chop::passes {
namespace {

using detail::Dims;

Dims parse_dims(const Json& kw, const std::string& where) {
  Dims d;
  if (!kw.contains("dims")) return d;
  const Json& v = kw["dims"];
  if (v.is_null()) {
    d.kind = Dims::kNone;
  } else if (v.is_string() && v.get<std::string>() == "all") {
    d.kind = Dims::kAll;
  } else if (v.is_array() && !v.empty()) {
    d.kind = Dims::kList;
    for (const auto& e : v) {
      if (!e.is_number_integer() || e.get<int64_t>() < 0)
        throw ConfigError(where, "dims must be \"all\", \"NA\" or a list of dimension indices");
      d.list.push_back(e.get<int64_t>());
    }
    std::sort(d.list.begin(), d.list.end());
  } else {
    throw ConfigError(
        where, "dims must be \"all\", \"NA\" or a list of dimension indices, got " + v.dump());
  }
  return d;
}

bool get_bool(const Json& kw, const std::string& key, bool def, const std::string& where) {
  if (!kw.contains(key) || kw[key].is_null()) return def;
  if (!kw[key].is_boolean()) throw ConfigError(where, "'" + key + "' must be true or false");
  return kw[key].get<bool>();
}

double get_number(const Json& kw, const std::string& key, double def, const std::string& where) {
  if (!kw.contains(key) || kw[key].is_null()) return def;
  if (!kw[key].is_number()) throw ConfigError(where, "'" + key + "' must be a number");
  return kw[key].get<double>();
}

}  // namespace

const std::vector<std::string>& stat_names() {
  static const std::vector<std::string> names = {
      "record",        "variance_online", "variance_precise", "range_n_sigma",
      "range_min_max", "range_quantile",  "abs_mean"};
  return names;
}

std::unique_ptr<Stat> make_stat(const std::string& name, const Json& kwargs,
                                const std::string& where) {
  static const std::map<std::string, std::vector<std::string>> allowed = {
      {"record", {"device", "add_new_dim_before_concat"}},
      {"variance_online", {"device", "dims"}},
      {"variance_precise", {"device", "dims"}},
      {"range_n_sigma", {"device", "dims", "abs", "var_mode", "num_sigma"}},
      {"range_min_max", {"device", "dims", "abs"}},
      {"range_quantile", {"device", "dims", "abs", "quantile"}},
      {"abs_mean", {"device", "dims"}},
  };
  auto it = allowed.find(name);
  if (it == allowed.end())
    throw ConfigError(where, "unknown statistic '" + name + "'" + did_you_mean(name, stat_names()) +
                                 "; available: " + list_of(stat_names()));
  const Json kw = kwargs.is_null() ? Json::object() : kwargs;
  if (!kw.is_object())
    throw ConfigError(where, "statistic '" + name + "' needs a table of keyword arguments");
  for (auto k = kw.begin(); k != kw.end(); ++k)
    if (std::find(it->second.begin(), it->second.end(), k.key()) == it->second.end())
      throw ConfigError(where, "statistic '" + name + "' has no argument '" + k.key() + "'" +
                                   did_you_mean(k.key(), it->second) + "; it takes " +
                                   list_of(it->second));
  detail::StatSpec spec;
  spec.name = name;
  spec.dims = parse_dims(kw, where);
  spec.abs = get_bool(kw, "abs", false, where);
  spec.add_new_dim = get_bool(kw, "add_new_dim_before_concat", false, where);
  spec.num_sigma = get_number(kw, "num_sigma", 3, where);
  if (kw.contains("var_mode") && !kw["var_mode"].is_null()) {
    const Json& mode = kw["var_mode"];
    if (mode != "online" && mode != "precise")
      throw ConfigError(where, "var_mode must be \"online\" or \"precise\", got " + mode.dump());
    spec.online = mode == "online";
  }
  spec.quantile = get_number(kw, "quantile", 0.975, where);
  if (spec.quantile < 0 || spec.quantile > 1)
    throw ConfigError(where, "quantile must be in [0, 1]");
  return detail::create_stat(spec);
}

}  // namespace chop::passes
