// NSGA-II/III sampler adapter; see nsga_sampler.h and optuna/samplers/nsgaii/_sampler.py (3.1).
#include "search/samplers/nsga_sampler.h"

#include <cmath>

#include "config/table_reader.h"
#include "core/error.h"

namespace chop::search {
namespace {

constexpr int kUnknown = -2;
constexpr int kNoGeneration = -1;

bool has_generation(const FrozenTrial& t) {
  const auto it = t.system_attrs.find(NsgaSampler::kGenerationKey);
  return it != t.system_attrs.end() && it->is_number_integer();
}

}  // namespace

NsgaSampler::NsgaSampler(NsgaOptions options, uint64_t seed)
    : Sampler(seed), options_(std::move(options)) {
  if (options_.population_size < 2)
    throw UserError("population_size must be at least 2 (got " +
                    std::to_string(options_.population_size) + ")");
  if (options_.mutation_prob && !(*options_.mutation_prob >= 0 && *options_.mutation_prob <= 1))
    throw UserError("mutation_prob must be within [0, 1]");
  if (!(options_.crossover_prob >= 0 && options_.crossover_prob <= 1))
    throw UserError("crossover_prob must be within [0, 1]");
  if (!(options_.swapping_prob >= 0 && options_.swapping_prob <= 1))
    throw UserError("swapping_prob must be within [0, 1]");
  if (options_.dividing_parameter < 1) throw UserError("dividing_parameter must be at least 1");
}

void NsgaSampler::set_constraints_func(ConstraintsFunc func) {
  std::lock_guard<std::mutex> lock(mu_);
  constraints_func_ = std::move(func);
  options_.use_constraints = true;
}

samplers::GaMember NsgaSampler::member_of(const FrozenTrial& t,
                                          const std::vector<Direction>& dirs) const {
  samplers::GaMember m;
  m.values = t.values;
  for (size_t k = 0; k < dirs.size() && k < t.values.size(); ++k)
    m.losses.push_back(t.values[k] * loss_sign(dirs[k]));
  if (options_.use_constraints) {
    const auto it = t.system_attrs.find("constraints");
    if (it != t.system_attrs.end() && it->is_array()) {
      m.has_constraints = true;
      for (const auto& c : *it) {
        const double v = c.is_number() ? c.get<double>() : NAN;
        if (std::isnan(v))
          throw UserError("NaN is not acceptable as a constraint value (trial " +
                          std::to_string(t.number) + ")");
        m.constraints.push_back(v);
      }
    }
  }
  return m;
}

std::vector<int64_t> NsgaSampler::select_elite(const std::vector<const FrozenTrial*>& pool,
                                               int generation,
                                               const std::vector<Direction>& directions) {
  std::vector<int64_t> key;
  for (const auto* t : pool) key.push_back(t->number);
  const auto hit = elite_memo_.find(key);
  if (hit != elite_memo_.end()) return hit->second;
  std::vector<samplers::GaMember> members;
  for (const auto* t : pool) members.push_back(member_of(*t, directions));
  std::vector<int> chosen;
  if (options_.nsga3) {
    Rng rng(mix_seed(seed(), static_cast<uint64_t>(generation), stable_hash("nsga3:niche")));
    chosen = samplers::nsga3_select(members, options_.population_size, options_.use_constraints,
                                    options_.reference_points, options_.dividing_parameter, rng);
  } else {
    chosen = samplers::nsga2_select(members, options_.population_size, options_.use_constraints);
  }
  std::vector<int64_t> numbers;
  for (int i : chosen) numbers.push_back(pool[i]->number);
  elite_memo_.emplace(std::move(key), numbers);
  return numbers;
}

const NsgaSampler::Parents& NsgaSampler::parents_for(const StudyView& view) {
  if (parents_number_ == view.number && parents_n_trials_ == view.trials.size() &&
      parents_study_ == view.study_name)
    return parents_;
  if (parents_study_ != view.study_name) elite_memo_.clear(), generation_of_.clear();
  std::map<int, std::vector<const FrozenTrial*>> by_generation;
  std::vector<const FrozenTrial*> by_number(static_cast<size_t>(std::max<int64_t>(view.number, 0)),
                                            nullptr);
  for (const FrozenTrial* t : view.trials) {
    if (static_cast<size_t>(t->number) < by_number.size()) by_number[t->number] = t;
    if (t->state != TrialState::kComplete) continue;
    // A COMPLETE trial's generation never changes: parse its system attr once.
    const size_t n = static_cast<size_t>(t->number);
    if (generation_of_.size() <= n) generation_of_.resize(n + 1, kUnknown);
    if (generation_of_[n] == kUnknown)
      generation_of_[n] =
          has_generation(*t) ? t->system_attrs.at(kGenerationKey).get<int>() : kNoGeneration;
    if (generation_of_[n] >= 0) by_generation[generation_of_[n]].push_back(t);
  }
  Parents p;
  while (true) {
    const int g = p.generation + 1;
    std::vector<const FrozenTrial*> pool = by_generation[g];
    if (static_cast<int>(pool.size()) < options_.population_size) break;
    pool.insert(pool.end(), p.population.begin(), p.population.end());
    std::vector<const FrozenTrial*> elite;
    for (int64_t n : select_elite(pool, g, view.directions)) elite.push_back(by_number[n]);
    p.generation = g;
    p.population = std::move(elite);
  }
  parents_ = std::move(p);
  parents_number_ = view.number;
  parents_n_trials_ = view.trials.size();
  parents_study_ = view.study_name;
  return parents_;
}

ParamSpace NsgaSampler::infer_relative_search_space(const StudyView& view,
                                                    const FrozenTrial& trial) {
  // Optuna's IntersectionSearchSpace over COMPLETE trials; single-valued ones are left to the
  // independent sampler. Finished trials never change, so each one's space is interned once.
  std::lock_guard<std::mutex> lock(mu_);
  if (space_study_ != view.study_name) {
    space_study_ = view.study_name;
    space_id_.clear();
    spaces_.clear();
  }
  std::vector<char> seen(spaces_.size(), 0);
  std::vector<int> ids;
  for (const FrozenTrial* t : view.trials) {
    if (t->state != TrialState::kComplete) continue;
    const size_t n = static_cast<size_t>(t->number);
    if (space_id_.size() <= n) space_id_.resize(n + 1, -1);
    if (space_id_[n] < 0) {
      int id = -1;
      for (size_t i = spaces_.size(); i-- > 0;)
        if (spaces_[i] == t->distributions) {
          id = static_cast<int>(i);
          break;
        }
      if (id < 0) {
        spaces_.push_back(t->distributions);
        seen.push_back(0);
        id = static_cast<int>(spaces_.size()) - 1;
      }
      space_id_[n] = id;
    }
    if (!seen[space_id_[n]]) seen[space_id_[n]] = 1, ids.push_back(space_id_[n]);
  }
  ParamSpace out;
  if (ids.empty()) return out;
  out = spaces_[ids[0]];
  for (size_t k = 1; k < ids.size(); ++k) {
    const ParamSpace& other = spaces_[ids[k]];
    for (auto it = out.begin(); it != out.end();) {
      const auto o = other.find(it->first);
      it = (o == other.end() || o->second != it->second) ? out.erase(it) : std::next(it);
    }
  }
  for (auto it = out.begin(); it != out.end();)
    it = it->second.single() ? out.erase(it) : std::next(it);
  return out;
}

void NsgaSampler::before_trial(const StudyView& view, FrozenTrial& trial) {
  std::lock_guard<std::mutex> lock(mu_);
  trial.system_attrs[kGenerationKey] = parents_for(view).generation + 1;
}

std::map<std::string, double> NsgaSampler::crossover(const Parents& parents,
                                                     const ParamSpace& space,
                                                     const std::vector<Direction>& directions,
                                                     Rng& rng) {
  const bool constrained = options_.use_constraints;
  auto tournament = [&](const std::vector<const FrozenTrial*>& pool) {
    const FrozenTrial* a = pool[rng.below(pool.size())];
    const FrozenTrial* b = pool[rng.below(pool.size())];
    const auto ma = member_of(*a, directions), mb = member_of(*b, directions);
    const bool wins =
        constrained ? samplers::ga_constrained_dominates(ma, mb) : samplers::ga_dominates(ma, mb);
    return wins ? a : b;
  };
  std::vector<std::string> categorical, numerical;
  for (const auto& [name, dist] : space)
    (dist.is_categorical() ? categorical : numerical).push_back(name);
  // Uniform crossover always yields parent values; the retry guards against parents whose
  // values fall outside a changed distribution (Optuna loops until the child is contained).
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::vector<const FrozenTrial*> chosen;
    for (int k = 0; k < 2; ++k) {
      std::vector<const FrozenTrial*> pool;
      for (const auto* t : parents.population)
        if (std::find(chosen.begin(), chosen.end(), t) == chosen.end()) pool.push_back(t);
      chosen.push_back(tournament(pool));
    }
    std::map<std::string, double> child;
    for (const auto& name : categorical)
      child[name] = chosen[rng.uniform() >= options_.swapping_prob ? 1 : 0]->params.at(name);
    for (const auto& name : numerical)
      child[name] = chosen[rng.uniform() >= options_.swapping_prob ? 1 : 0]->params.at(name);
    bool contained = true;
    for (const auto& [name, v] : child) contained = contained && space.at(name).contains(v);
    if (contained) return child;
  }
  return {};
}

std::map<std::string, double> NsgaSampler::sample_relative(const StudyView& view,
                                                           const FrozenTrial& trial,
                                                           const ParamSpace& space) {
  std::lock_guard<std::mutex> lock(mu_);
  const Parents& parents = parents_for(view);
  if (parents.generation < 0 || space.empty()) return {};
  Rng rng = rng_for(trial.number, "nsga:relative");
  std::map<std::string, double> child;
  if (rng.uniform() < options_.crossover_prob) {
    child = crossover(parents, space, view.directions, rng);
  } else {
    const FrozenTrial* p = parents.population[rng.below(parents.population.size())];
    for (const auto& [name, dist] : space) {
      const auto it = p->params.find(name);
      if (it != p->params.end() && dist.contains(it->second)) child[name] = it->second;
    }
  }
  const double mutation_prob = options_.mutation_prob
                                   ? *options_.mutation_prob
                                   : 1.0 / std::max<double>(1.0, static_cast<double>(child.size()));
  std::map<std::string, double> params;
  for (const auto& [name, v] : child)
    if (rng.uniform() >= mutation_prob) params[name] = v;  // else: re-drawn at random
  return params;
}

double NsgaSampler::sample_independent(const StudyView& view, const FrozenTrial& trial,
                                       const std::string& param_name, const Distribution& dist) {
  Rng rng = rng_for(trial.number, param_name);
  return sample_uniform(dist, rng);
}

void NsgaSampler::after_trial(Study& study, FrozenTrial& trial) {
  ConstraintsFunc func;
  {
    std::lock_guard<std::mutex> lock(mu_);
    func = constraints_func_;
  }
  record_constraints(func, trial);
}

namespace {

NsgaOptions read_options(const config::TableReader& o, bool nsga3) {
  NsgaOptions n;
  n.nsga3 = nsga3;
  n.population_size = static_cast<int>(o.get_int("population_size", n.population_size));
  const Json mp = o.get_json("mutation_prob");
  if (!mp.is_null()) {
    if (!mp.is_number()) throw ConfigError(o.locate("mutation_prob"), "expected a number or null");
    n.mutation_prob = mp.get<double>();
  }
  n.crossover_prob = o.get_double("crossover_prob", n.crossover_prob);
  n.swapping_prob = o.get_double("swapping_prob", n.swapping_prob);
  const std::string cx = o.get_string("crossover", "uniform");
  if (cx != "uniform")
    throw ConfigError(o.locate("crossover"), "only \"uniform\" is available, got \"" + cx + "\"");
  n.use_constraints = o.get_bool("constraints", false);
  if (nsga3) {
    n.dividing_parameter = static_cast<int>(o.get_int("dividing_parameter", 3));
    const Json rp = o.get_json("reference_points");
    if (!rp.is_null()) {
      if (!rp.is_array())
        throw ConfigError(o.locate("reference_points"), "expected a list of lists");
      for (const auto& row : rp) {
        if (!row.is_array())
          throw ConfigError(o.locate("reference_points"), "expected a list of lists");
        std::vector<double> p;
        for (const auto& v : row) {
          if (!v.is_number()) throw ConfigError(o.locate("reference_points"), "expected numbers");
          p.push_back(v.get<double>());
        }
        n.reference_points.push_back(std::move(p));
      }
    }
  }
  auto range_check = [&](const char* key, double v) {
    if (!(v >= 0 && v <= 1)) throw ConfigError(o.locate(key), "must be within [0, 1]");
  };
  if (n.population_size < 2) throw ConfigError(o.locate("population_size"), "must be at least 2");
  if (n.mutation_prob) range_check("mutation_prob", *n.mutation_prob);
  range_check("crossover_prob", n.crossover_prob);
  range_check("swapping_prob", n.swapping_prob);
  if (n.dividing_parameter < 1)
    throw ConfigError(o.locate("dividing_parameter"), "must be at least 1");
  return n;
}

}  // namespace

const config::TableDoc& nsgaii_sampler_options() {
  static const config::TableDoc doc{
      "search.strategy.setup.sampler_options (nsgaii)",
      "Optuna's NSGAIISampler options and defaults",
      {{"population_size", "int", 50, false, "individuals per generation (at least 2)"},
       {"mutation_prob", "number", nullptr, false,
        "per-parameter mutation probability (default 1/n_params)"},
       {"crossover", "string", "uniform", false, "\"uniform\" (the only one available)"},
       {"crossover_prob", "number", 0.9, false, "in [0, 1]"},
       {"swapping_prob", "number", 0.5, false, "uniform crossover's swap probability, in [0, 1]"},
       {"constraints", "bool", false, false,
        "rank infeasible trials last (set when the search has budgets)"}}};
  return doc;
}

const config::TableDoc& nsgaiii_sampler_options() {
  static const config::TableDoc doc = [] {
    config::TableDoc d{"search.strategy.setup.sampler_options (nsgaiii)",
                       "NSGA-II's options plus reference points", nsgaii_sampler_options().keys};
    d.keys.insert(d.keys.end(),
                  {{"dividing_parameter", "int", 3, false, "Das-Dennis divisions (at least 1)"},
                   {"reference_points", "list", nullptr, false,
                    "a list of points (lists of numbers); default: Das-Dennis"}});
    return d;
  }();
  return doc;
}

std::unique_ptr<Sampler> make_nsgaii_sampler(const Json& options, uint64_t seed,
                                             const config::Locate& locate) {
  const config::TableReader o(options, nsgaii_sampler_options(), locate);
  return std::make_unique<NsgaSampler>(read_options(o, false), seed);
}

std::unique_ptr<Sampler> make_nsgaiii_sampler(const Json& options, uint64_t seed,
                                              const config::Locate& locate) {
  const config::TableReader o(options, nsgaiii_sampler_options(), locate);
  return std::make_unique<NsgaSampler>(read_options(o, true), seed);
}

}  // namespace chop::search
