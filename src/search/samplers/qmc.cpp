// Sobol and Halton sequences (seeded linear-matrix scramble + digital shift for Sobol, random
// digit permutations for Halton) and the QMC sampler.
#include "search/samplers/qmc.h"

#include <cmath>

#include "config/table_reader.h"
#include "core/error.h"
#include "core/strings.h"

namespace chop::search {
namespace {

struct JoeKuo {
  int s;  // degree of the primitive polynomial
  int a;  // its inner coefficients, as bits
  std::vector<uint32_t> m;
};

// new-joe-kuo-6.21201, dimensions 2.. (dimension 1 is van der Corput).
const std::vector<JoeKuo>& joe_kuo() {
  static const std::vector<JoeKuo> table = {{1, 0, {1}},
                                            {2, 1, {1, 3}},
                                            {3, 1, {1, 3, 1}},
                                            {3, 2, {1, 1, 1}},
                                            {4, 1, {1, 1, 3, 3}},
                                            {4, 4, {1, 3, 5, 13}},
                                            {5, 2, {1, 1, 5, 5, 17}},
                                            {5, 4, {1, 1, 5, 5, 5}},
                                            {5, 7, {1, 1, 7, 11, 19}},
                                            {5, 11, {1, 1, 5, 1, 1}},
                                            {5, 13, {1, 1, 1, 3, 11}},
                                            {5, 14, {1, 3, 5, 5, 31}},
                                            {6, 1, {1, 3, 3, 9, 7, 49}},
                                            {6, 13, {1, 1, 1, 15, 21, 21}},
                                            {6, 16, {1, 3, 1, 13, 27, 49}},
                                            {6, 19, {1, 1, 1, 15, 7, 5}},
                                            {6, 22, {1, 3, 1, 15, 13, 25}},
                                            {6, 25, {1, 1, 5, 5, 19, 61}},
                                            {7, 1, {1, 3, 7, 11, 23, 15, 103}},
                                            {7, 4, {1, 3, 7, 13, 13, 15, 69}},
                                            {7, 7, {1, 1, 3, 13, 7, 35, 63}},
                                            {7, 8, {1, 3, 5, 9, 1, 25, 53}},
                                            {7, 14, {1, 3, 1, 13, 9, 35, 107}},
                                            {7, 19, {1, 3, 1, 5, 27, 61, 31}},
                                            {7, 21, {1, 1, 5, 11, 19, 41, 61}},
                                            {7, 28, {1, 3, 5, 3, 3, 13, 69}},
                                            {7, 31, {1, 1, 7, 13, 1, 19, 1}},
                                            {7, 32, {1, 3, 7, 5, 13, 19, 59}},
                                            {7, 37, {1, 1, 3, 9, 25, 29, 41}},
                                            {7, 41, {1, 3, 5, 13, 23, 1, 55}},
                                            {7, 42, {1, 3, 7, 3, 13, 59, 17}},
                                            {7, 50, {1, 3, 1, 3, 5, 53, 69}},
                                            {7, 55, {1, 1, 5, 5, 23, 33, 13}},
                                            {7, 56, {1, 1, 7, 7, 1, 61, 123}},
                                            {7, 59, {1, 1, 7, 9, 13, 61, 49}},
                                            {7, 62, {1, 3, 3, 5, 3, 55, 33}},
                                            {8, 14, {1, 3, 1, 15, 31, 13, 49, 245}},
                                            {8, 21, {1, 3, 5, 15, 31, 59, 63, 97}},
                                            {8, 22, {1, 3, 1, 11, 11, 11, 77, 249}},
                                            {8, 38, {1, 3, 1, 11, 27, 43, 71, 9}},
                                            {8, 47, {1, 1, 7, 15, 21, 11, 81, 45}},
                                            {8, 49, {1, 3, 7, 3, 25, 31, 65, 79}},
                                            {8, 50, {1, 3, 1, 1, 19, 11, 3, 205}},
                                            {8, 52, {1, 1, 5, 9, 19, 21, 29, 157}},
                                            {8, 56, {1, 3, 7, 11, 1, 33, 89, 185}},
                                            {8, 67, {1, 3, 3, 3, 15, 9, 79, 71}},
                                            {8, 70, {1, 3, 7, 11, 15, 39, 119, 27}},
                                            {8, 84, {1, 1, 3, 1, 11, 31, 97, 225}},
                                            {8, 97, {1, 1, 1, 3, 23, 43, 57, 177}},
                                            {8, 103, {1, 3, 7, 7, 17, 17, 37, 71}},
                                            {8, 115, {1, 3, 1, 5, 27, 63, 123, 213}},
                                            {8, 122, {1, 1, 3, 5, 11, 43, 53, 133}}};
  return table;
}

// Unscrambled direction numbers v_j (j = 0..31) of one dimension, as 32-bit fractions.
std::vector<uint32_t> sobol_directions(size_t dim) {
  std::vector<uint32_t> v(32);
  if (dim == 0) {
    for (int j = 0; j < 32; ++j) v[j] = 1u << (31 - j);
    return v;
  }
  const JoeKuo& p = joe_kuo()[dim - 1];
  for (int j = 0; j < 32; ++j) {
    if (j < p.s) {
      v[j] = p.m[j] << (31 - j);
      continue;
    }
    uint32_t x = v[j - p.s] ^ (v[j - p.s] >> p.s);
    for (int k = 1; k < p.s; ++k)
      if ((p.a >> (p.s - 1 - k)) & 1) x ^= v[j - k];
    v[j] = x;
  }
  return v;
}

const std::vector<uint32_t>& primes() {
  static const std::vector<uint32_t> p = [] {
    std::vector<uint32_t> out;
    for (uint32_t n = 2; out.size() < 1000; ++n) {
      bool prime = true;
      for (uint32_t d : out) {
        if (d * d > n) break;
        if (n % d == 0) {
          prime = false;
          break;
        }
      }
      if (prime) out.push_back(n);
    }
    return out;
  }();
  return p;
}

}  // namespace

size_t QmcSequence::max_sobol_dims() {
  return joe_kuo().size() + 1;
}

QmcSequence::QmcSequence(Type type, size_t dims, bool scramble, uint64_t seed)
    : type_(type), dims_(dims) {
  Rng rng(mix_seed(seed, 0x716d63 /* "qmc" */));
  if (type == Type::kSobol) {
    if (dims > max_sobol_dims())
      throw UserError("Sobol points are available for up to " + std::to_string(max_sobol_dims()) +
                      " parameters, the space has " + std::to_string(dims) +
                      "; use qmc_type = \"halton\"");
    for (size_t d = 0; d < dims; ++d) {
      auto v = sobol_directions(d);
      uint32_t shift = 0;
      if (scramble) {
        // Linear matrix scramble: a random lower-triangular binary matrix with unit diagonal
        // (bit 31 = most significant digit) multiplies every direction number.
        std::vector<uint32_t> rows(32);
        for (int r = 0; r < 32; ++r) {
          const uint32_t below =
              r == 0 ? 0u : static_cast<uint32_t>(rng.next() >> 32) & ((1u << r) - 1u) << (32 - r);
          rows[r] = (1u << (31 - r)) | below;
        }
        for (auto& x : v) {
          uint32_t y = 0;
          for (int r = 0; r < 32; ++r)
            if (__builtin_popcount(rows[r] & x) & 1) y |= 1u << (31 - r);
          x = y;
        }
        shift = static_cast<uint32_t>(rng.next() >> 32);
      }
      directions_.push_back(std::move(v));
      shift_.push_back(shift);
    }
  } else {
    if (dims > primes().size()) throw UserError("Halton points support up to 1000 parameters");
    for (size_t d = 0; d < dims; ++d) {
      const uint32_t b = primes()[d];
      const int digits = static_cast<int>(std::ceil(53.0 / std::log2(static_cast<double>(b))));
      std::vector<std::vector<uint32_t>> per_digit;
      for (int k = 0; k < digits; ++k) {
        std::vector<uint32_t> perm(b);
        for (uint32_t i = 0; i < b; ++i) perm[i] = i;
        if (scramble) shuffle(perm, rng);
        per_digit.push_back(std::move(perm));
      }
      perms_.push_back(std::move(per_digit));
    }
  }
}

std::vector<double> QmcSequence::point(uint64_t index) const {
  std::vector<double> u(dims_);
  if (type_ == Type::kSobol) {
    for (size_t d = 0; d < dims_; ++d) {
      uint32_t x = shift_[d];
      uint64_t i = index;
      for (int j = 0; i && j < 32; ++j, i >>= 1)
        if (i & 1) x ^= directions_[d][static_cast<size_t>(j)];
      u[d] = static_cast<double>(x) * 0x1.0p-32;
    }
    return u;
  }
  for (size_t d = 0; d < dims_; ++d) {
    const uint32_t b = primes()[d];
    double f = 1.0, x = 0.0;
    uint64_t i = index;
    // All digit positions, so scrambled trailing zeros contribute too (a random tail).
    for (const auto& perm : perms_[d]) {
      f /= b;
      x += f * perm[i % b];
      i /= b;
    }
    u[d] = std::min(x, std::nextafter(1.0, 0.0));
  }
  return u;
}

QmcSampler::QmcSampler(QmcSequence::Type type, bool scramble, uint64_t seed)
    : Sampler(seed), type_(type), scramble_(scramble) {}

ParamSpace QmcSampler::infer_relative_search_space(const StudyView& view,
                                                   const FrozenTrial& trial) {
  ParamSpace space;
  if (!view.declared_space.empty()) {
    space = view.declared_space;
  } else {
    for (const auto* t : view.trials)
      if (t->state == TrialState::kComplete) {
        space = ParamSpace(t->distributions.begin(), t->distributions.end());
        break;
      }
  }
  for (auto it = space.begin(); it != space.end();)
    it = it->second.single() ? space.erase(it) : std::next(it);
  return space;
}

std::map<std::string, double> QmcSampler::sample_relative(const StudyView& view,
                                                          const FrozenTrial& trial,
                                                          const ParamSpace& space) {
  // The sequence is cheap to rebuild and depends only on (type, dims, scramble, seed).
  QmcSequence seq(type_, space.size(), scramble_, seed());
  const auto u = seq.point(static_cast<uint64_t>(trial.number));
  std::map<std::string, double> out;
  size_t k = 0;
  for (const auto& [name, d] : space) out[name] = from_unit(d, u[k++]);
  return out;
}

double QmcSampler::sample_independent(const StudyView& view, const FrozenTrial& trial,
                                      const std::string& param_name, const Distribution& dist) {
  Rng rng = rng_for(trial.number, param_name);
  return sample_uniform(dist, rng);
}

const config::TableDoc& qmc_sampler_options() {
  static const config::TableDoc doc{
      "search.strategy.setup.sampler_options (qmc)",
      "quasi-Monte Carlo points",
      {{"qmc_type", "string", Json("sobol"), false, "\"sobol\" or \"halton\""},
       {"scramble", "bool", Json(true), false, "randomised (seeded) points"}}};
  return doc;
}

std::unique_ptr<Sampler> make_qmc_sampler(const Json& options, uint64_t seed,
                                          const config::Locate& locate) {
  const config::TableReader o(options, qmc_sampler_options(), locate);
  const std::string type = to_lower(o.get_string("qmc_type", "sobol"));
  const bool scramble = o.get_bool("scramble", true);
  if (type != "sobol" && type != "halton")
    throw ConfigError(o.locate("qmc_type"),
                      "unknown QMC type '" + type + "' (expected \"sobol\" or \"halton\")");
  return std::make_unique<QmcSampler>(
      type == "sobol" ? QmcSequence::Type::kSobol : QmcSequence::Type::kHalton, scramble, seed);
}

}  // namespace chop::search
