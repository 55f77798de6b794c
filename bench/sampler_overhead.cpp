// Sampler overhead: milliseconds per TPE suggestion (all 10 parameters of one trial) with a
// history of 100 / 1,000 / 10,000 finished trials, for 10 categorical (8 choices) and 10 float
// parameters — the spaces of shared/tools/optuna_overhead.py (Optuna 3.1: ≈ 60 ms at 1,000).
// "sampler" = TpeSampler::sample_independent as a Study calls it (fresh StudyView per trial);
// "engine" = the bare algorithm (tpe.h) on prepared arrays. Thread CPU time, so other load on
// the machine inflates the numbers less than wall time would.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "search/rng.h"
#include "search/samplers/tpe.h"
#include "search/samplers/tpe_sampler.h"

using namespace chop::search;

namespace {

constexpr int kDims = 10;

double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

struct Space {
  std::string name;
  Distribution dist;
  bool categorical;
};

double objective(const Space& sp, const std::map<std::string, double>& p) {
  double s = 0;
  for (const auto& [name, v] : p) s += sp.categorical ? v : v * v;  // sum of indices / sphere
  return s;
}

std::string pname(int d) {
  return (d < 10 ? "p0" : "p") + std::to_string(d);
}

struct Bench {
  Space sp;
  std::vector<std::unique_ptr<FrozenTrial>> trials;
  samplers::TpeOptions options;

  StudyView view(int64_t number) const {
    StudyView v;
    v.study_name = "bench";
    v.directions = {Direction::kMinimize};
    v.number = number;
    for (const auto& t : trials) v.trials.push_back(t.get());
    return v;
  }

  void add(std::map<std::string, double> params) {
    auto t = std::make_unique<FrozenTrial>();
    t->number = static_cast<int64_t>(trials.size());
    t->state = TrialState::kComplete;
    t->values = {objective(sp, params)};
    for (const auto& [name, v] : params) t->distributions.emplace(name, sp.dist);
    t->params = std::move(params);
    trials.push_back(std::move(t));
  }

  // One trial's suggestions through the sampler, as Study::suggest_for does.
  std::map<std::string, double> suggest(TpeSampler& sampler, int64_t number) const {
    const StudyView v = view(number);
    FrozenTrial trial;
    trial.number = number;
    std::map<std::string, double> p;
    for (int d = 0; d < kDims; ++d)
      p[pname(d)] = sampler.sample_independent(v, trial, pname(d), sp.dist);
    return p;
  }

  // Multivariate TPE: one joint (relative) sample of all 10 parameters per trial.
  double multivariate_ms(int64_t first_number, int reps) const {
    samplers::TpeOptions mo;
    mo.multivariate = true;
    TpeSampler sampler(mo, 3);
    FrozenTrial trial;
    const double c0 = cpu_ms();
    for (int r = 0; r < reps; ++r) {
      const StudyView v = view(first_number + r);
      trial.number = first_number + r;
      const ParamSpace space = sampler.infer_relative_search_space(v, trial);
      sampler.sample_relative(v, trial, space);
    }
    return (cpu_ms() - c0) / reps;
  }

  // The bare algorithm on arrays built from the same history.
  double engine_ms(int reps) const {
    samplers::TpeEngine engine(options);
    samplers::TpeWorkspace ws;
    samplers::TpeHistory h;
    std::vector<std::vector<double>> cols(kDims);
    for (const auto& t : trials) {
      samplers::TpeTrialKey k;
      k.losses = t->values;
      h.keys.push_back(k);
      for (int d = 0; d < kDims; ++d) cols[d].push_back(t->params.at(pname(d)));
    }
    h.n_finished = static_cast<int>(h.keys.size());
    std::vector<std::vector<int>> sorted(kDims);
    for (int d = 0; d < kDims; ++d) {
      sorted[d].resize(cols[d].size());
      for (size_t i = 0; i < cols[d].size(); ++i) sorted[d][i] = static_cast<int>(i);
      std::stable_sort(sorted[d].begin(), sorted[d].end(),
                       [&](int a, int b) { return cols[d][a] < cols[d][b]; });
    }
    const samplers::ParamDomain dom = samplers::ParamDomain::categorical(8);
    const samplers::ParamDomain fdom = samplers::ParamDomain::float_range(-5, 5);
    double x = 0;
    const double c0 = cpu_ms();
    for (int r = 0; r < reps; ++r) {
      const samplers::TpePrepared prep = engine.prepare(h);
      for (int d = 0; d < kDims; ++d) {
        Rng rng(mix_seed(1, r, d));
        engine.sample({sp.categorical ? dom : fdom}, {cols[d].data()}, prep, rng, ws, &x,
                      sp.categorical ? nullptr : &sorted[d]);
      }
    }
    return (cpu_ms() - c0) / reps;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const std::vector<int> sizes =
      quick ? std::vector<int>{100, 1000} : std::vector<int>{100, 1000, 10000};
  std::vector<Space> spaces = {
      {"cat10x8", Distribution::make_categorical({0, 1, 2, 3, 4, 5, 6, 7}), true},
      {"float10", Distribution::make_float(-5, 5), false}};
  std::printf("# TPE (univariate, Optuna 3.x defaults): CPU ms per trial (%d suggestions)\n",
              kDims);
  std::printf("%-8s %8s %12s %12s %16s\n", "space", "trials", "sampler_ms", "engine_ms",
              "multivariate_ms");
  for (const Space& sp : spaces) {
    Bench b{sp, {}, {}};
    TpeSampler grower(samplers::TpeOptions{}, 1);
    Rng fill(7);
    for (int n : sizes) {
      // Grow the history with real TPE suggestions up to 2,000 trials, then with perturbed
      // copies of earlier trials (running TPE to 10,000 would take minutes for no insight).
      while (static_cast<int>(b.trials.size()) < n) {
        const int64_t number = static_cast<int64_t>(b.trials.size());
        if (number < 2000) {
          b.add(b.suggest(grower, number));
        } else {
          // Categorical: copy or re-draw; float: jitter, reflected at the bounds (exact copies or
          // clipping would create ties that no real TPE history has; ties take the slower
          // numpy-order sort path).
          auto p = b.trials[fill.below(b.trials.size())]->params;
          for (auto& [name, v] : p) {
            if (fill.uniform() < 0.3)
              v = sample_uniform(sp.dist, fill);
            else if (!sp.categorical)
              v = std::fabs(std::fmod(v + 0.05 * fill.normal() + 15.0, 20.0) - 10.0) - 5.0;
          }
          b.add(std::move(p));
        }
      }
      const int reps = n >= 10000 ? 20 : 100;
      TpeSampler sampler(samplers::TpeOptions{}, 2);
      b.suggest(sampler, n);  // warm the incremental cache once, as a running study has it
      const double c0 = cpu_ms();
      for (int r = 1; r <= reps; ++r) b.suggest(sampler, n + r);
      const double sampler_ms = (cpu_ms() - c0) / reps;
      const double engine = b.engine_ms(reps);
      const double multi = b.multivariate_ms(n + reps + 1, reps);
      std::printf("%-8s %8d %12.3f %12.3f %16.3f\n", sp.name.c_str(), n, sampler_ms, engine, multi);
      std::fflush(stdout);
    }
  }
  return 0;
}
