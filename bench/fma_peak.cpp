// FMA peak micro-benchmark; see fma_peak.h. Independent accumulator chains per width: more than
// latency (4) x ports (2), so the FMA units, not the dependencies, set the pace, and few enough
// that every chain and both constants stay in registers (AVX2 has 16 ymm, AVX-512 32 zmm).
#include "fma_peak.h"

#include <time.h>

#include <algorithm>
#include <cmath>

#include "kernels/isa.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace chop::bench {
namespace {

constexpr int kChains = 16;
// 16 chains plus the two constants are 18 ymm registers: the compiler spilled accumulators to the
// stack, each FMA then waited on a store and a reload, and AVX2 machines measured half their peak
// (an EPYC 7003 read 58.7 GFLOP/s while the MNIST training step ran at 78). Twelve keep all in
// registers and still cover latency x ports.
constexpr int kChainsAvx2 = 12;

#if defined(__x86_64__)
__attribute__((target("avx512f"))) float chains512(long iters) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.9999f), b = _mm512_set1_ps(0.0001f);
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  float sum = 0, lanes[16];
  for (int i = 0; i < kChains; ++i) {
    _mm512_storeu_ps(lanes, acc[i]);
    for (float v : lanes) sum += v;
  }
  return sum;
}

__attribute__((target("avx2,fma"))) float chains256(long iters) {
  __m256 acc[kChainsAvx2];
  for (int i = 0; i < kChainsAvx2; ++i) acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.9999f), b = _mm256_set1_ps(0.0001f);
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kChainsAvx2; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  float sum = 0, lanes[8];
  for (int i = 0; i < kChainsAvx2; ++i) {
    _mm256_storeu_ps(lanes, acc[i]);
    for (float v : lanes) sum += v;
  }
  return sum;
}
#endif

float chains_scalar(long iters) {
  float acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = 0.001f * static_cast<float>(i);
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = std::fma(acc[i], 0.9999f, 0.0001f);
  float sum = 0;
  for (float v : acc) sum += v;
  return sum;
}

}  // namespace

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double measure_fma_peak_gflops(int repeats, const char** isa_name) {
  int lanes = 1, chains = kChains;
  float (*run)(long) = chains_scalar;
  *isa_name = "scalar";
#if defined(__x86_64__)
  if (kernels::isa_supported(kernels::Isa::kAvx512)) {
    lanes = 16, run = chains512, *isa_name = "avx512";
  } else if (kernels::isa_supported(kernels::Isa::kAvx2)) {
    lanes = 8, chains = kChainsAvx2, run = chains256, *isa_name = "avx2";
  }
#endif
  volatile float sink = 0;
  // Calibrate to ~0.2 s per run.
  long iters = 1 << 16;
  for (;;) {
    const double t0 = thread_cpu_seconds();
    sink = sink + run(iters);
    const double s = thread_cpu_seconds() - t0;
    if (s > 0.05) {
      iters = static_cast<long>(static_cast<double>(iters) * 0.2 / s) + 1;
      break;
    }
    iters *= 4;
  }
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = thread_cpu_seconds();
    sink = sink + run(iters);
    const double s = thread_cpu_seconds() - t0;
    best = std::max(best, 2.0 * lanes * chains * static_cast<double>(iters) / s / 1e9);
  }
  return best;
}

}  // namespace chop::bench
