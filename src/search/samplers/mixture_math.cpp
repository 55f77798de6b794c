// Vectorised mixture loops; see mixture_math.h. Written with GCC/Clang vector extensions (8
// doubles per operation) so the exp/log-sum-exp inner loops run several kernels per
// instruction without -ffast-math.
#include "search/samplers/mixture_math.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CHOP_MULTIVERSION __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#else
#define CHOP_MULTIVERSION
#endif

// GCC contracts a*b+c into FMA for C++ when the target has it: the AVX-512 and Haswell (AVX2 +
// FMA) clones do, the SSE2 baseline cannot, so only pre-2013 CPUs may differ in the last bit.

namespace chop::search::samplers {
namespace {

// Eight lanes: one AVX-512 instruction, two AVX2 or four SSE2 ones in the other clones.
typedef double V8 __attribute__((vector_size(64)));
typedef int64_t I8 __attribute__((vector_size(64)));
constexpr int kLanes = 8;

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// Helpers take and return vectors by reference: a 64-byte vector passed by value would change
// the calling convention between clones (GCC warns about it even when everything is inlined).
inline void splat(V8& out, double v) {
  out = V8{v, v, v, v, v, v, v, v};
}

inline void load(V8& out, const double* p) {
  std::memcpy(&out, p, sizeof out);
}

// Loads the last `m` < kLanes elements, padding with zeros.
inline void load_tail(V8& out, const double* p, int m) {
  double buf[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < m; ++i) buf[i] = p[i];
  load(out, buf);
}

// exp on every lane, in place: x = k·ln2 + r with |r| ≤ ln2/2, exp(r) by a degree-13 Taylor
// polynomial (relative error < 2e-16), 2^k assembled from the bits of the rounded k. Inputs are
// clamped to [-700, 700]; a clamped tiny term (≈1e-304) is irrelevant inside a sum with a
// large one.
inline void exp8(V8& x) {
  V8 lo, hi;
  splat(lo, -700.0);
  splat(hi, 700.0);
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const double kShifter = 6755399441055744.0;  // 1.5·2^52: adding it rounds to an integer
  const V8 kd = (x * 1.4426950408889634074 + kShifter) - kShifter;
  const V8 r = (x - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10;
  V8 p;
  splat(p, 1.0 / 6227020800.0);
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const V8 shifted = kd + kShifter;
  I8 bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  bits = (bits - 0x4338000000000000LL + 1023) << 52;
  V8 scale;
  std::memcpy(&scale, &bits, sizeof scale);
  x = p * scale;
}

inline double hsum(const V8& s) {
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

CHOP_MULTIVERSION
double gauss_sum_shifted(const double* a, const double* mu, const double* inv, int k, double x,
                         double shift) {
  V8 s, xv, sh, m, iv, av;
  splat(s, 0.0);
  splat(xv, x);
  splat(sh, shift);
  int i = 0;
  for (; i + kLanes <= k; i += kLanes) {
    load(m, mu + i);
    load(iv, inv + i);
    load(av, a + i);
    const V8 z = (xv - m) * iv;
    V8 e = (av - sh) - 0.5 * z * z;
    exp8(e);
    s += e;
  }
  if (i < k) {
    const int n = k - i;
    load_tail(m, mu + i, n);
    load_tail(iv, inv + i, n);
    load_tail(av, a + i, n);
    const V8 z = (xv - m) * iv;
    V8 e = (av - sh) - 0.5 * z * z;
    exp8(e);
    for (int j = n; j < kLanes; ++j) e[j] = 0.0;
    s += e;
  }
  return hsum(s);
}

CHOP_MULTIVERSION
double sum_shifted(const double* t, int k, double shift) {
  V8 s, sh, e;
  splat(s, 0.0);
  splat(sh, shift);
  int i = 0;
  for (; i + kLanes <= k; i += kLanes) {
    load(e, t + i);
    e -= sh;
    exp8(e);
    s += e;
  }
  if (i < k) {
    const int n = k - i;
    load_tail(e, t + i, n);
    e -= sh;
    exp8(e);
    for (int j = n; j < kLanes; ++j) e[j] = 0.0;
    s += e;
  }
  return hsum(s);
}

}  // namespace

double max_of(const double* t, int k) {
  double m[4] = {kNegInf, kNegInf, kNegInf, kNegInf};
  int i = 0;
  for (; i + 4 <= k; i += 4)
    for (int j = 0; j < 4; ++j) m[j] = t[i + j] > m[j] ? t[i + j] : m[j];
  for (; i < k; ++i) m[0] = t[i] > m[0] ? t[i] : m[0];
  return std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
}

CHOP_MULTIVERSION
void add_gauss_log(double* acc, const double* norm, const double* mu, const double* inv, int k,
                   double x) {
  for (int i = 0; i < k; ++i) {
    const double z = (x - mu[i]) * inv[i];
    acc[i] += norm[i] - 0.5 * z * z;
  }
}

CHOP_MULTIVERSION
void add_choice_log(double* acc, const int* choice, int k, int c, double log_hit, double log_miss) {
  for (int i = 0; i < k; ++i) acc[i] += choice[i] == c ? log_hit : log_miss;
}

double log_sum_exp_bounded(const double* t, int k, double upper) {
  if (k == 0 || upper == kNegInf) return kNegInf;
  const double s = sum_shifted(t, k, upper);
  if (s > 1e-200) return upper + std::log(s);
  const double m = max_of(t, k);
  if (m == kNegInf) return kNegInf;
  return m + std::log(sum_shifted(t, k, m));
}

double gauss_mixture_log_sum(const double* a, const double* mu, const double* inv, int k, double x,
                             double upper) {
  if (k == 0 || upper == kNegInf) return kNegInf;
  const double s = gauss_sum_shifted(a, mu, inv, k, x, upper);
  if (s > 1e-200) return upper + std::log(s);
  // Every term is far below the bound: find the true maximum, then sum again.
  double m = kNegInf;
  for (int i = 0; i < k; ++i) {
    const double z = (x - mu[i]) * inv[i];
    m = std::max(m, a[i] - 0.5 * z * z);
  }
  if (m == kNegInf) return kNegInf;
  return m + std::log(gauss_sum_shifted(a, mu, inv, k, x, m));
}

}  // namespace chop::search::samplers
