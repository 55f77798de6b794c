// The built-in synthetic JSC set: a latent-variable model of boosted jets (pT ~ 1 TeV) that
// yields the 16 hls4ml features with physical shapes, correlations and class overlap. The model
// and its calibration (jsc-s ~75 %, jsc-tiny ~63 % test accuracy) are in docs/datasets.md.
#include <ATen/Parallel.h>

#include <cmath>

#include "data/jsc.h"

namespace chop::data::jsc {

namespace {

/// Per-row random stream: SplitMix64 seeded from (seed, row), so a row never depends on which
/// thread generates it or on any other row.
class RowRng {
 public:
  RowRng(uint64_t seed, uint64_t row) : state_(mix(seed ^ mix(row + 0x632be59bd9b4e019ULL))) {}

  uint64_t next() { return mix(state_ += 0x9e3779b97f4a7c15ULL); }
  /// Uniform in (0, 1): never exactly 0 or 1, so log() is always finite.
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  double normal() {  // Marsaglia's polar method; the second value is kept for the next call
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    double u, v, w;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      w = u * u + v * v;
    } while (w >= 1.0);
    double f = std::sqrt(-2.0 * std::log(w) / w);
    spare_ = v * f;
    have_spare_ = true;
    return u * f;
  }
  double gamma(double shape) {  // Marsaglia-Tsang, shape >= 1
    double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double z = normal(), v = 1.0 + c * z;
      if (v <= 0) continue;
      v = v * v * v;
      double u = uniform();
      if (std::log(u) < 0.5 * z * z + d - d * v + d * std::log(v)) return d * v;
    }
  }
  /// Student-t with 5 degrees of freedom (Bailey's polar method), scaled to unit variance and
  /// truncated to |t| <= 4: heavier tails than a Gaussian without unphysical outliers.
  double t5() {
    for (;;) {
      double u, v, w;
      do {
        u = 2.0 * uniform() - 1.0;
        v = 2.0 * uniform() - 1.0;
        w = u * u + v * v;
      } while (w >= 1.0);
      double t = u * std::sqrt(5.0 * (std::pow(w, -0.4) - 1.0) / w) * std::sqrt(3.0 / 5.0);
      if (std::fabs(t) <= 4.0) return t;
    }
  }
  int64_t poisson(double lambda) {  // inversion; lambda stays below a few hundred here
    double u = uniform(), p = std::exp(-lambda), cdf = p;
    int64_t k = 0;
    while (u > cdf && k < 10000) {
      ++k;
      p *= lambda / static_cast<double>(k);
      cdf += p;
    }
    return k;
  }

 private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
  double spare_ = 0.0;
  bool have_spare_ = false;
};

enum Mode { kQcdLike, kTwoProng, kThreeProng, kTopWPeak };

constexpr double kMassW = 80.4, kMassZ = 91.2, kMassTop = 172.5;

void generate_row(uint64_t seed, int64_t i, float* out, int64_t* label) {
  RowRng rng(seed, static_cast<uint64_t>(i));
  const int c = static_cast<int>(i % kNumClasses);  // 0 g, 1 q, 2 W, 3 Z, 4 t
  *label = c;
  const double pt = 1000.0 * std::exp(0.06 * rng.normal());
  const double u = rng.uniform();

  // Groomed mass and the decay topology the jet shows after grooming.
  Mode mode = kQcdLike;
  double m;
  switch (c) {
    case 0:
      m = std::exp(std::log(20.0) + 0.7 * rng.t5());
      break;
    case 1:
      m = std::exp(std::log(12.0) + 0.7 * rng.t5());
      break;
    case 2:
    case 3:
      if (u < 0.15) {  // a prong lost in grooming: looks like a light-quark jet
        m = std::exp(std::log(18.0) + 0.9 * rng.t5());
      } else {
        mode = kTwoProng;
        m = (c == 2 ? kMassW : kMassZ) + 7.5 * rng.t5();
      }
      break;
    default:
      if (u < 0.70) {
        mode = kThreeProng;
        m = kMassTop + 16.0 * rng.t5();
      } else if (u < 0.88) {  // b groomed away: the W inside the top remains
        mode = kTopWPeak;
        m = kMassW + 8.25 * rng.t5();
      } else {
        m = std::exp(std::log(45.0) + 0.8 * rng.t5());
      }
  }
  m = std::min(std::max(m, 0.3), 0.4 * pt);
  const double log_m_rel = std::log(m) - std::log(20.0);

  // Constituent multiplicity: negative binomial (Poisson with a Gamma(12) mean factor).
  static const double kMeanMult[kNumClasses] = {62.0, 38.0, 42.0, 48.0, 68.0};
  double mu = kMeanMult[c];
  if (mode == kQcdLike) mu *= std::exp(0.12 * log_m_rel);
  const double lambda = mu * rng.gamma(12.0) / 12.0;
  const double mult = static_cast<double>(std::max<int64_t>(3, rng.poisson(lambda)));
  const double log_n = std::log(mult);

  // log D2: one-prong jets high, two-prong low; QCD D2 falls as the groomed mass rises.
  double d_mean;
  switch (mode) {
    case kTwoProng:
      d_mean = -0.45;
      break;
    case kThreeProng:
      d_mean = 0.15;
      break;
    case kTopWPeak:
      d_mean = -0.30;
      break;
    default:
      d_mean = (c == 0 ? 0.60 : 0.55) - 0.25 * log_m_rel;
  }
  const double d = d_mean + 0.38 * rng.t5();
  const bool prongs = mode != kQcdLike;

  const double zlogz = -0.78 * log_n + 0.58 + (mode == kThreeProng ? -0.2 : 0.0) +
                       (mode == kTwoProng ? 0.1 : 0.0) + 0.18 * rng.normal() + 0.1 * rng.normal();
  const double c1_b0_logit =
      0.4 + 0.9 * (-zlogz - 2.5) + (prongs ? 0.6 : 0.0) + 0.35 * rng.normal();
  const double c1_b0 = 0.5 / (1.0 + std::exp(-c1_b0_logit));

  const double x = m / pt;  // energy correlations scale with (m / pT)^beta
  const double c1_b1 = 0.55 * x * std::exp(0.08 * rng.normal());
  const double c1_b2 = x * x * std::exp(0.12 * rng.normal());
  const double d2_b1 = std::exp(d);
  const double d2_b2 = std::exp(2.0 * d - 0.45 + 0.2 * rng.t5());
  const double d2_a1_b2 = std::exp(0.5 * std::log(d2_b2) - 1.55 + 0.15 * rng.t5());
  const double ln2 =
      -1.35 + 0.6 * d + 0.25 * (log_n - 3.8) + (mode == kTwoProng ? -0.25 : 0.0) + 0.15 * rng.t5();
  const double n2_b1 = std::exp(ln2);
  const double n2_b2 = std::exp(1.9 * ln2 + 0.5 + 0.2 * rng.t5());
  const double m2_b1 = std::exp(ln2 - 1.1 + 0.12 * rng.t5());
  const double m2_b2 = std::exp(1.4 * std::log(m2_b1) + 0.3 + 0.15 * rng.t5());

  // In the real file C2 = D2 * C1 and D2^(a=1,b=1) = D2^(b=1) hold exactly; keep them.
  const double f[kNumFeatures] = {zlogz, c1_b0, c1_b1, c1_b2,    d2_b1 * c1_b1, d2_b2 * c1_b2,
                                  d2_b1, d2_b2, d2_b1, d2_a1_b2, m2_b1,         m2_b2,
                                  n2_b1, n2_b2, m,     mult};
  for (int j = 0; j < kNumFeatures; ++j) out[j] = static_cast<float>(f[j]);
}

}  // namespace

Table generate_synthetic(int64_t n, uint64_t seed) {
  Table t;
  t.n = n;
  t.x.resize(static_cast<size_t>(n) * kNumFeatures);
  t.y.resize(static_cast<size_t>(n));
  t.label_key.resize(static_cast<size_t>(n));
  t.source = "synthetic (seed " + std::to_string(seed) + ", " + std::to_string(n) + " rows)";
  at::parallel_for(0, n, 8192, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      generate_row(seed, i, &t.x[i * kNumFeatures], &t.y[i]);
      t.label_key[i] = static_cast<int32_t>(t.y[i]);
    }
  });
  return t;
}

}  // namespace chop::data::jsc
