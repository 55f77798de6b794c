// Loading a sampler comparison and its curves; see comparison.h.
#include "report/comparison.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "report/study_summary.h"

namespace chop::report {
namespace {

const Json* comparison_attr(const Json& user_attrs) {
  if (!user_attrs.is_object() || !user_attrs.contains(kComparisonAttr)) return nullptr;
  const Json& a = user_attrs[kComparisonAttr];
  return a.is_object() && a.contains("group") && a["group"].is_string() && a.contains("sampler") &&
                 a["sampler"].is_string()
             ? &a
             : nullptr;
}

bool usable(const search::FrozenTrial& t, size_t n) {
  return t.state == search::TrialState::kComplete && !is_infeasible(t) && has_all_values(t, n);
}

// The measure after each trial of a run (index = trials started - 1): best value so far in the
// objective's direction, or the hypervolume of the front so far.
std::vector<double> measure_by_trial(const ComparisonRun& run, const ComparisonResult& r) {
  if (r.multi_objective) return hypervolume_history(run.study, *r.hv_reference);
  return best_so_far(run.study, 0);
}

// Seconds from the run's first trial start to each trial's completion.
std::vector<double> seconds_by_trial(const StudyData& s) {
  std::vector<double> out;
  if (s.trials.empty()) return out;
  int64_t t0 = s.trials.front().datetime_start_ms;
  for (const auto& t : s.trials)
    if (t.datetime_start_ms > 0 && (t0 <= 0 || t.datetime_start_ms < t0)) t0 = t.datetime_start_ms;
  double last = 0;
  for (const auto& t : s.trials) {
    if (t.datetime_complete_ms > 0) last = std::max(last, (t.datetime_complete_ms - t0) / 1000.0);
    out.push_back(last);
  }
  return out;
}

bool reached(double value, double optimum, double sign, bool hv) {
  if (!std::isfinite(value)) return false;
  if (hv) return value >= optimum * (1 - 1e-9) - 1e-15;
  // "As good as" the optimum, up to rounding.
  return sign * (value - optimum) <= 1e-12 * std::max(1.0, std::abs(optimum));
}

Curve aggregate(const std::string& sampler, const std::vector<double>& x,
                const std::vector<std::vector<double>>& per_run) {
  Curve c;
  c.sampler = sampler;
  for (size_t i = 0; i < x.size(); ++i) {
    std::vector<double> v;
    for (const auto& run : per_run)
      if (i < run.size() && std::isfinite(run[i])) v.push_back(run[i]);
    if (v.empty()) continue;
    c.x.push_back(x[i]);
    c.median.push_back(quantile(v, 0.5));
    c.q25.push_back(quantile(v, 0.25));
    c.q75.push_back(quantile(v, 0.75));
  }
  return c;
}

// Brute force saw the whole space: as many distinct configurations as the space has (or the
// study recorded that its sampler ran out).
bool saw_every_configuration(const ComparisonRun& run) {
  if (run.exhausted) return true;
  search::ParamSpace space;
  std::set<std::map<std::string, double>> distinct;
  for (const auto& t : run.study.trials) {
    if (!search::is_finished(t.state)) continue;
    for (const auto& [name, dist] : t.distributions) space.emplace(name, dist);
    distinct.insert(t.params);
  }
  const auto n = search::space_size(space);
  return n && !distinct.empty() && distinct.size() >= *n;
}

}  // namespace

double quantile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::vector<std::string> comparison_groups(search::Storage& storage) {
  std::vector<std::string> groups;
  for (const auto& name : storage.study_names()) {
    auto id = storage.study_id_from_name(name);
    if (!id) continue;
    const Json attrs = storage.study_user_attrs(*id);
    if (const Json* a = comparison_attr(attrs)) {
      const std::string g = (*a)["group"].get<std::string>();
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    }
  }
  return groups;
}

ComparisonData load_comparison(search::Storage& storage, const std::string& group) {
  ComparisonData d;
  d.group = group;
  d.storage = storage.describe();
  for (const auto& name : storage.study_names()) {
    auto id = storage.study_id_from_name(name);
    if (!id) continue;
    const Json attrs = storage.study_user_attrs(*id);  // `a` points into it
    const Json* a = comparison_attr(attrs);
    if (!a || (*a)["group"] != group) continue;
    ComparisonRun run;
    run.sampler = (*a)["sampler"].get<std::string>();
    run.repeat = a->value("repeat", 0);
    run.seed = a->value("seed", uint64_t{0});
    run.exhausted = a->value("exhausted", false);
    run.study = load_study(storage, name);
    if (d.runs.empty()) {
      d.directions = run.study.directions;
      d.objective_names = run.study.objective_names;
    } else if (run.study.directions != d.directions) {
      throw DataError(storage.describe(), "study '" + name + "' of comparison '" + group +
                                              "' has other directions than the rest");
    }
    if (std::find(d.samplers.begin(), d.samplers.end(), run.sampler) == d.samplers.end())
      d.samplers.push_back(run.sampler);
    d.runs.push_back(std::move(run));
  }
  if (d.runs.empty())
    throw UserError("no sampler comparison '" + group + "' in " + storage.describe());
  std::stable_sort(d.runs.begin(), d.runs.end(), [&](const auto& a, const auto& b) {
    const auto ia = std::find(d.samplers.begin(), d.samplers.end(), a.sampler);
    const auto ib = std::find(d.samplers.begin(), d.samplers.end(), b.sampler);
    return ia != ib ? ia < ib : a.repeat < b.repeat;
  });
  return d;
}

ComparisonResult compare_samplers(const ComparisonData& d) {
  ComparisonResult r;
  const size_t n_obj = d.directions.size();
  r.multi_objective = n_obj > 1;
  if (r.multi_objective) {
    // One reference point for every run, so hypervolumes compare.
    std::vector<search::Point> all;
    for (const auto& run : d.runs)
      for (const auto& t : run.study.trials)
        if (usable(t, n_obj)) all.push_back(search::to_loss(t, d.directions));
    r.hv_reference = hypervolume_reference(all);
    r.measure = "hypervolume";
    if (!r.hv_reference) return r;
  } else {
    r.measure = "best " + d.objective_names.at(0) + " (" + search::to_string(d.directions[0]) + ")";
  }
  const double sign = r.multi_objective ? 1.0 : search::loss_sign(d.directions[0]);

  // Per run: the measure and the seconds after each trial.
  std::vector<std::vector<double>> measures, seconds;
  for (const auto& run : d.runs) {
    measures.push_back(measure_by_trial(run, r));
    seconds.push_back(seconds_by_trial(run.study));
  }
  auto final_of = [](const std::vector<double>& m) {
    for (auto it = m.rbegin(); it != m.rend(); ++it)
      if (std::isfinite(*it)) return *it;
    return static_cast<double>(NAN);
  };
  auto better = [&](double a, double b) {  // a better than b
    if (!std::isfinite(b)) return std::isfinite(a);
    return r.multi_objective ? a > b : sign * a < sign * b;
  };

  // The optimum: what brute force found (all of the space when it was exhausted), else the
  // best any sampler found.
  bool from_bruteforce = false, exhaustive = false;
  for (size_t i = 0; i < d.runs.size(); ++i)
    if (to_lower(d.runs[i].sampler) == "bruteforce") {
      const double f = final_of(measures[i]);
      if (!from_bruteforce || better(f, r.optimum)) r.optimum = f;
      from_bruteforce = true;
      exhaustive |= saw_every_configuration(d.runs[i]);
    }
  if (!from_bruteforce)
    for (const auto& m : measures)
      if (better(final_of(m), r.optimum)) r.optimum = final_of(m);
  r.optimum_source = from_bruteforce
                         ? (exhaustive ? "brute force, which tried every configuration"
                                       : "the best brute force found (it did not try every "
                                         "configuration within its trials)")
                         : "the best any sampler found (no bruteforce runs in the comparison)";

  // Trials axis: 1..max trials; seconds axis: 60 points up to the longest run.
  size_t max_trials = 0;
  double max_seconds = 0;
  for (size_t i = 0; i < d.runs.size(); ++i) {
    max_trials = std::max(max_trials, measures[i].size());
    if (!seconds[i].empty()) max_seconds = std::max(max_seconds, seconds[i].back());
  }
  std::vector<double> trial_x(max_trials), second_x(61);
  for (size_t k = 0; k < max_trials; ++k) trial_x[k] = static_cast<double>(k + 1);
  for (size_t k = 0; k <= 60; ++k) second_x[k] = max_seconds * static_cast<double>(k) / 60.0;

  for (const auto& sampler : d.samplers) {
    std::vector<std::vector<double>> by_trial, by_second;
    SamplerOutcome o;
    o.sampler = sampler;
    std::vector<double> finals, n_trials, secs, to_opt;
    for (size_t i = 0; i < d.runs.size(); ++i) {
      if (d.runs[i].sampler != sampler) continue;
      ++o.n_repeats;
      const auto& m = measures[i];
      by_trial.push_back(m);
      // The measure at each grid time: after the last trial completed by then.
      std::vector<double> at(second_x.size(), NAN);
      for (size_t g = 0; g < second_x.size(); ++g)
        for (size_t k = 0; k < m.size() && seconds[i][k] <= second_x[g] + 1e-12; ++k) at[g] = m[k];
      by_second.push_back(std::move(at));
      std::optional<int64_t> first;
      for (size_t k = 0; k < m.size() && !first; ++k)
        if (std::isfinite(r.optimum) && reached(m[k], r.optimum, sign, r.multi_objective))
          first = static_cast<int64_t>(k + 1);
      o.trials_to_optimum.push_back(first);
      if (first) {
        ++o.n_reached;
        to_opt.push_back(static_cast<double>(*first));
      }
      finals.push_back(final_of(m));
      n_trials.push_back(static_cast<double>(m.size()));
      secs.push_back(seconds[i].empty() ? NAN : seconds[i].back());
    }
    o.median_trials_to_optimum = quantile(to_opt, 0.5);
    o.median_final = quantile(finals, 0.5);
    o.median_trials = quantile(n_trials, 0.5);
    o.median_seconds = quantile(secs, 0.5);
    r.by_trials.push_back(aggregate(sampler, trial_x, by_trial));
    r.by_seconds.push_back(aggregate(sampler, second_x, by_second));
    r.outcomes.push_back(std::move(o));
  }
  return r;
}

std::string comparison_table(const ComparisonResult& r) {
  auto num = [](double v, const char* fmt) {
    if (!std::isfinite(v)) return std::string("-");
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, v);
    return std::string(buf);
  };
  std::string out = "| sampler | repeats | trials to the optimum (median) | reached | final " +
                    r.measure + " (median) | trials | time (s) |\n|---|---|---|---|---|---|---|\n";
  for (const auto& o : r.outcomes) {
    std::vector<std::string> per;
    for (const auto& t : o.trials_to_optimum) per.push_back(t ? std::to_string(*t) : "-");
    out += "| " + o.sampler + " | " + std::to_string(o.n_repeats) + " | " +
           num(o.median_trials_to_optimum, "%.0f") + " (" + join(per, ", ") + ") | " +
           std::to_string(o.n_reached) + "/" + std::to_string(o.n_repeats) + " | " +
           num(o.median_final, "%.6g") + " | " + num(o.median_trials, "%.0f") + " | " +
           num(o.median_seconds, "%.3g") + " |\n";
  }
  return out;
}

}  // namespace chop::report
