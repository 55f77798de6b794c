// TpeSampler adapter; see tpe_sampler.h. The algorithm lives in tpe.cpp (pure arrays); this
// file only maps StudyView data onto it and keeps the per-study incremental cache.
#include "search/samplers/tpe_sampler.h"

#include <cmath>

#include "config/table_reader.h"
#include "core/error.h"
#include "core/log.h"
#include "search/samplers/domain_convert.h"

namespace chop::search {

TpeSampler::TpeSampler(samplers::TpeOptions options, uint64_t seed, bool use_constraints,
                       bool warn_independent_sampling)
    : Sampler(seed),
      engine_(std::move(options)),
      cache_(engine_, engine_.options().constant_liar, use_constraints),
      warn_independent_(warn_independent_sampling) {}

void TpeSampler::set_constraints_func(ConstraintsFunc func) {
  std::lock_guard<std::mutex> lock(mu_);
  constraints_func_ = std::move(func);
}

ParamSpace TpeSampler::infer_relative_search_space(const StudyView& view,
                                                   const FrozenTrial& trial) {
  if (!engine_.options().multivariate) return {};
  std::lock_guard<std::mutex> lock(mu_);
  const auto& st = cache_.state_for(view);
  if (!engine_.options().group) return cache_.intersection(st);
  ParamSpace all;
  for (auto& g : cache_.groups(st)) all.insert(g.begin(), g.end());
  return all;
}

std::map<std::string, double> TpeSampler::sample_joint(const samplers::TpeViewState& st,
                                                       const ParamSpace& space, Rng& rng) {
  std::vector<samplers::ParamDomain> dims;
  std::vector<const double*> ptrs;
  cols_.resize(space.size());
  size_t d = 0;
  for (const auto& [name, dist] : space) {
    dims.push_back(samplers::to_domain(dist));
    cache_.column(st, name, false, cols_[d], sorted_buf_);
    ptrs.push_back(cols_[d].data());
    ++d;
  }
  std::vector<double> out(space.size());
  std::map<std::string, double> params;
  if (!engine_.sample(dims, ptrs, st.prepared, rng, ws_, out.data())) return params;
  d = 0;
  for (const auto& [name, dist] : space) params[name] = dist.snap(out[d++]);
  return params;
}

std::map<std::string, double> TpeSampler::sample_relative(const StudyView& view,
                                                          const FrozenTrial& trial,
                                                          const ParamSpace& space) {
  if (space.empty()) return {};
  std::lock_guard<std::mutex> lock(mu_);
  const auto& st = cache_.state_for(view);
  if (st.prepared.startup) return {};
  if (!engine_.options().group) {
    Rng rng = rng_for(trial.number, "tpe:relative");
    return sample_joint(st, space, rng);
  }
  std::map<std::string, double> params;
  for (const ParamSpace& group : cache_.groups(st)) {
    ParamSpace sub;
    for (const auto& [name, dist] : group)
      if (space.count(name)) sub.emplace(name, dist);
    if (sub.empty()) continue;
    Rng rng = rng_for(trial.number, "tpe:relative:" + sub.begin()->first);
    const auto p = sample_joint(st, sub, rng);
    params.insert(p.begin(), p.end());
  }
  return params;
}

double TpeSampler::sample_independent(const StudyView& view, const FrozenTrial& trial,
                                      const std::string& param_name, const Distribution& dist) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto& st = cache_.state_for(view);
  const auto& opt = engine_.options();
  if (opt.multivariate && warn_independent_ &&
      st.history.n_finished >= std::max(opt.n_startup_trials, 1) &&
      warned_.insert(param_name).second)
    log_warning("TPE: parameter '" + param_name + "' is sampled independently instead of by " +
                "multivariate TPE (it is not in every finished trial); set " +
                "warn_independent_sampling = false to silence this");
  if (st.prepared.startup) {
    // Same stream as RandomSampler: the startup trials equal random search's.
    Rng rng = rng_for(trial.number, param_name);
    return sample_uniform(dist, rng);
  }
  const samplers::ParamDomain dom = samplers::to_domain(dist);
  cache_.column(st, param_name, !dom.is_categorical(), col_buf_, sorted_buf_);
  Rng rng = rng_for(trial.number, "tpe:" + param_name);
  double out = 0.0;
  const std::vector<const double*> ptrs{col_buf_.data()};
  if (!engine_.sample({dom}, ptrs, st.prepared, rng, ws_, &out,
                      dom.is_categorical() ? nullptr : &sorted_buf_))
    return sample_uniform(dist, rng);
  return dist.snap(out);
}

void TpeSampler::after_trial(Study& study, FrozenTrial& trial) {
  ConstraintsFunc func;
  {
    std::lock_guard<std::mutex> lock(mu_);
    func = constraints_func_;
  }
  record_constraints(func, trial);
}

const config::TableDoc& tpe_sampler_options() {
  static const config::TableDoc doc{
      "search.strategy.setup.sampler_options (tpe)",
      "Optuna 3.x TPESampler's options and defaults",
      {{"n_startup_trials", "int", Json(10), false, "random trials before TPE (not negative)"},
       {"n_ei_candidates", "int", Json(24), false, "candidates scored per parameter (at least 1)"},
       {"gamma", "string", Json("default"), false, "\"default\" (Optuna) or \"hyperopt\""},
       {"multivariate", "bool", Json(false), false, "joint density over parameters"},
       {"group", "bool", Json(false), false,
        "multivariate per group of co-occurring parameters (needs multivariate)"},
       {"constant_liar", "any", Json("auto"), false,
        "true, false or \"auto\" (acts when n_jobs > 1)"},
       {"consider_prior", "bool", Json(true), false, "add the prior component"},
       {"prior_weight", "number", Json(1.0), false, "its weight (positive)"},
       {"consider_magic_clip", "bool", Json(true), false, "Optuna's bandwidth clip"},
       {"consider_endpoints", "bool", Json(false), false, "widen edge kernels to the bounds"},
       {"constraints", "bool", Json(false), false,
        "rank infeasible trials last (set when the search has budgets)"},
       {"warn_independent_sampling", "bool", Json(true), false,
        "warn when multivariate falls back to independent sampling"},
       {"exact_density", "bool", Json(false), false,
        "exact truncated-normal density (false: Optuna 3.0-3.4 scoring)"}}};
  return doc;
}

std::unique_ptr<Sampler> make_tpe_sampler(const Json& options, uint64_t seed,
                                          const config::Locate& locate) {
  const config::TableReader o(options, tpe_sampler_options(), locate);
  samplers::TpeOptions t;
  t.consider_prior = o.get_bool("consider_prior", t.consider_prior);
  t.prior_weight = o.get_double("prior_weight", t.prior_weight);
  t.consider_magic_clip = o.get_bool("consider_magic_clip", t.consider_magic_clip);
  t.consider_endpoints = o.get_bool("consider_endpoints", t.consider_endpoints);
  t.n_startup_trials = static_cast<int>(o.get_int("n_startup_trials", t.n_startup_trials));
  t.n_ei_candidates = static_cast<int>(o.get_int("n_ei_candidates", t.n_ei_candidates));
  const std::string gamma = o.get_string("gamma", "default");
  if (gamma == "hyperopt") {
    t.gamma = samplers::hyperopt_default_gamma;
  } else if (gamma != "default") {
    throw ConfigError(o.locate("gamma"),
                      "expected \"default\" or \"hyperopt\", got \"" + gamma + "\"");
  }
  t.multivariate = o.get_bool("multivariate", t.multivariate);
  t.group = o.get_bool("group", t.group);
  // Optuna 3.x defaults to false; on by default here because it only acts when trials run in
  // parallel (n_jobs > 1): a sequential study never shows the sampler a RUNNING trial.
  const Json liar = o.get_json("constant_liar");
  if (liar.is_null() || (liar.is_string() && liar.get<std::string>() == "auto")) {
    t.constant_liar = true;
  } else if (liar.is_boolean()) {
    t.constant_liar = liar.get<bool>();
  } else {
    throw ConfigError(o.locate("constant_liar"),
                      "expected true, false or \"auto\", got " + liar.dump());
  }
  t.exact_density = o.get_bool("exact_density", false);
  const bool constraints = o.get_bool("constraints", false);
  const bool warn = o.get_bool("warn_independent_sampling", true);
  if (t.n_ei_candidates < 1) throw ConfigError(o.locate("n_ei_candidates"), "must be at least 1");
  if (t.n_startup_trials < 0)
    throw ConfigError(o.locate("n_startup_trials"), "must not be negative");
  if (!(t.prior_weight > 0)) throw ConfigError(o.locate("prior_weight"), "must be positive");
  if (t.group && !t.multivariate)
    throw ConfigError(o.locate("group"), "group = true needs multivariate = true");
  return std::make_unique<TpeSampler>(std::move(t), seed, constraints, warn);
}

}  // namespace chop::search
