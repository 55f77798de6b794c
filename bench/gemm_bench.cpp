// GEMM throughput of the shared kernels (kernels/gemm.h) on the products of a training step
// (forward x W^T, input gradient g W, weight gradient g^T x) for the MNIST MLP and jsc-s layers,
// per instruction set, against the measured single-thread FMA peak (both in this thread's CPU
// time, so a busy machine skews them less; each product reports its best 10 ms window).
//   build/bench/gemm_bench [--isa portable|avx2|avx512] [--ms 200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "fma_peak.h"
#include "kernels/gemm.h"

namespace {

using chop::kernels::GemmArgs;
using chop::kernels::GemmInit;

struct Shape {
  const char* name;
  int64_t rows, in, out;
};

// Best of 10 ms windows over `ms` of CPU time: the fastest window is the one least disturbed by
// other work on a shared machine (the mean of the whole run moves by +-5 % under load).
double run_for(const chop::kernels::KernelTable& kt, const GemmArgs& g, double ms) {
  std::vector<float> scratch(
      static_cast<size_t>(chop::kernels::gemm_scratch_floats(kt, g.m, g.n, g.k)));
  chop::kernels::gemm(kt, g, scratch.data());
  const double flops = 2.0 * static_cast<double>(g.m * g.n * g.k);
  double best = 0, total = 0;
  while (total * 1e3 < ms) {
    int64_t reps = 0;
    const double t0 = chop::bench::thread_cpu_seconds();
    double s = 0;
    do {
      chop::kernels::gemm(kt, g, scratch.data());
      ++reps;
      s = chop::bench::thread_cpu_seconds() - t0;
    } while (s * 1e3 < 10);
    total += s;
    best = std::max(best, flops * static_cast<double>(reps) / s / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string isa_arg;
  double ms = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--isa")) isa_arg = argv[i + 1];
    if (!std::strcmp(argv[i], "--ms")) ms = std::stod(argv[i + 1]);
  }
  auto isa = isa_arg.empty() ? chop::kernels::default_isa() : *chop::kernels::parse_isa(isa_arg);
  const auto& kt = chop::kernels::kernel_table(isa);
  const char* peak_isa = "";
  const double peak = chop::bench::measure_fma_peak_gflops(5, &peak_isa);
  std::printf("FMA peak (one thread, %s): %.1f GFLOP/s; kernels: %s (%dx%d tiles)\n", peak_isa,
              peak, chop::kernels::isa_name(isa), kt.mr, kt.nr);
  const Shape shapes[] = {{"mnist 784->256", 256, 784, 256}, {"mnist 256->128", 256, 256, 128},
                          {"mnist 128->10", 256, 128, 10},   {"jsc-s 16->64", 256, 16, 64},
                          {"jsc-s 64->32", 256, 64, 32},     {"jsc-s 32->5", 256, 32, 5}};
  std::mt19937 rng(1);
  std::normal_distribution<float> dist;
  for (const Shape& s : shapes) {
    std::vector<float> x(s.rows * s.in), w(s.out * s.in), b(s.out), y(s.rows * s.out),
        gy(s.rows * s.out), gx(s.rows * s.in), gw(s.out * s.in);
    for (auto* v : {&x, &w, &b, &gy})
      for (float& f : *v) f = dist(rng);
    // As the engine runs them, with the weight kept transposed (wt = W^T [in, out]).
    const std::vector<float>& wt = w;
    GemmArgs fwd;  // y = x W^T + b
    fwd.m = s.rows, fwd.n = s.out, fwd.k = s.in, fwd.a = x.data(), fwd.a_rs = s.in, fwd.a_cs = 1;
    fwd.b = wt.data(), fwd.b_rs = s.out, fwd.b_cs = 1, fwd.c = y.data(), fwd.ldc = s.out;
    fwd.init = GemmInit::kBiasPerColumn, fwd.bias = b.data();
    GemmArgs dx;  // gx = g W
    dx.m = s.rows, dx.n = s.in, dx.k = s.out, dx.a = gy.data(), dx.a_rs = s.out, dx.a_cs = 1;
    dx.b = wt.data(), dx.b_rs = 1, dx.b_cs = s.out, dx.c = gx.data(), dx.ldc = s.in;
    GemmArgs dw;  // gW^T = x^T g
    dw.m = s.in, dw.n = s.out, dw.k = s.rows, dw.a = x.data(), dw.a_rs = 1, dw.a_cs = s.in;
    dw.b = gy.data(), dw.b_rs = s.out, dw.b_cs = 1, dw.c = gw.data(), dw.ldc = s.out;
    const double f = run_for(kt, fwd, ms), d = run_for(kt, dx, ms), g = run_for(kt, dw, ms);
    std::printf(
        "%-16s forward %6.1f (%3.0f%%)  grad_x %6.1f (%3.0f%%)  grad_W %6.1f (%3.0f%%) GFLOP/s\n",
        s.name, f, 100 * f / peak, d, 100 * d / peak, g, 100 * g / peak);
  }
  return 0;
}
