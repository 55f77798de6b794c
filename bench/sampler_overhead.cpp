// Sampler overhead: milliseconds per TPE suggestion (one trial's worth of parameters) with a
// history of 100 / 1,000 / 10,000 trials, for 10 categorical (8 choices) and 10 float
// parameters — the spaces of shared/tools/optuna_overhead.py (Optuna 3.1: ≈ 60 ms at 1,000).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "search/rng.h"
#include "search/samplers/tpe.h"

using namespace chop::search;
using namespace chop::search::samplers;

namespace {

constexpr int kDims = 10;

struct Space {
  std::string name;
  std::vector<ParamDomain> dims;
  double (*objective)(const double*);
};

double sum_of_indices(const double* x) {
  double s = 0;
  for (int d = 0; d < kDims; ++d) s += x[d];
  return s;
}
double sphere(const double* x) {
  double s = 0;
  for (int d = 0; d < kDims; ++d) s += x[d] * x[d];
  return s;
}

double uniform_in(const ParamDomain& p, Rng& rng) {
  if (p.is_categorical()) return static_cast<double>(rng.below(p.n_choices));
  return rng.uniform(p.low, p.high);
}

// A history whose trials came from TPE itself (clustered, like a real study) up to `n_tpe`
// trials, then filled with perturbed copies of earlier trials up to `n_total`.
struct History {
  std::vector<std::vector<double>> cols = std::vector<std::vector<double>>(kDims);
  std::vector<std::vector<int>> sorted = std::vector<std::vector<int>>(kDims);  // keys by value
  TpeHistory h;
};

void add_trial(History& hist, const double* x, double value) {
  const int key = static_cast<int>(hist.h.keys.size());
  for (int d = 0; d < kDims; ++d) {
    hist.cols[d].push_back(x[d]);
    auto& s = hist.sorted[d];
    const auto& col = hist.cols[d];
    s.insert(
        std::upper_bound(s.begin(), s.end(), x[d], [&](double v, int k) { return v < col[k]; }),
        key);
  }
  TpeTrialKey tk;
  tk.losses = {value};
  hist.h.keys.push_back(tk);
  ++hist.h.n_finished;
}

// One trial's suggestions in univariate mode: the cost we report.
void suggest(const TpeEngine& engine, const Space& sp, History& hist, uint64_t seed,
             TpeWorkspace& ws, double* x) {
  const TpePrepared prep = engine.prepare(hist.h);
  for (int d = 0; d < kDims; ++d) {
    Rng rng(mix_seed(seed, hist.h.keys.size(), d));
    std::vector<ParamDomain> dim{sp.dims[d]};
    std::vector<const double*> col{hist.cols[d].data()};
    const std::vector<int>* sorted = sp.dims[d].is_categorical() ? nullptr : &hist.sorted[d];
    if (!engine.sample(dim, col, prep, rng, ws, &x[d], sorted)) x[d] = uniform_in(sp.dims[d], rng);
  }
}

// Thread CPU time: robust against other processes sharing the machine's cores.
double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const std::vector<int> sizes =
      quick ? std::vector<int>{1000} : std::vector<int>{100, 1000, 10000};
  std::vector<Space> spaces;
  spaces.push_back(
      {"cat10x8", std::vector<ParamDomain>(kDims, ParamDomain::categorical(8)), sum_of_indices});
  spaces.push_back(
      {"float10", std::vector<ParamDomain>(kDims, ParamDomain::float_range(-5, 5)), sphere});
  std::printf(
      "# TPE suggestion cost (univariate, Optuna 3.x defaults), ms per trial of %d params\n",
      kDims);
  std::printf("%-8s %8s %12s %12s\n", "space", "trials", "ms/suggest", "best");
  for (const Space& sp : spaces) {
    TpeEngine engine{TpeOptions{}};
    TpeWorkspace ws;
    History hist;
    double x[kDims];
    double best = INFINITY;
    Rng fill(7);
    for (int n : sizes) {
      // Grow the history with real TPE suggestions up to 2,000 trials, then by perturbing
      // earlier trials (running TPE to 10,000 would take minutes for no extra insight).
      while (static_cast<int>(hist.h.keys.size()) < n) {
        if (hist.h.keys.size() < 2000) {
          suggest(engine, sp, hist, 1, ws, x);
        } else {
          const size_t src = fill.below(hist.h.keys.size());
          for (int d = 0; d < kDims; ++d) {
            const ParamDomain& p = sp.dims[d];
            x[d] = fill.uniform() < 0.3 ? uniform_in(p, fill) : hist.cols[d][src];
          }
        }
        const double v = sp.objective(x);
        best = std::min(best, v);
        add_trial(hist, x, v);
      }
      const int reps = n >= 10000 ? 20 : 100;
      const double c0 = cpu_ms();
      for (int r = 0; r < reps; ++r) suggest(engine, sp, hist, 1000 + r, ws, x);
      const double ms = (cpu_ms() - c0) / reps;
      std::printf("%-8s %8d %12.3f %12.4g\n", sp.name.c_str(), n, ms, best);
      std::fflush(stdout);
    }
  }
  return 0;
}
