// numpy's default argsort (introsort, numpy ≤ 1.24 `aquicksort`) for doubles. TPE's bandwidth rule
// assigns different σ to tied centres depending on their order after this unstable sort, so
// matching Optuna bit-for-bit on repeated values needs the very same algorithm.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace chop::search::samplers {

/// Fills `idx` with the permutation numpy.argsort(v) (kind="quicksort") returns.
inline void numpy_argsort(const double* v, int n, std::vector<int>& idx) {
  idx.resize(n);
  for (int i = 0; i < n; ++i) idx[i] = i;
  if (n < 2) return;
  constexpr int kSmall = 16;
  constexpr int kStack = 128;
  auto less = [&](int a, int b) { return v[a] < v[b]; };
  int* pl = idx.data();
  int* pr = pl + n - 1;
  int* stack[kStack];
  int** sptr = stack;
  int depth[kStack];
  int* psdepth = depth;
  int cdepth = 0;
  for (uint64_t u = static_cast<uint64_t>(n); u >>= 1;) ++cdepth;
  cdepth *= 2;
  for (;;) {
    if (cdepth < 0) {
      // Heapsort fallback (numpy's aheapsort), only reached on adversarial inputs.
      const int64_t m = pr - pl + 1;
      int* a = pl - 1;  // 1-based
      for (int64_t l = m >> 1; l > 0; --l) {
        const int tmp = a[l];
        int64_t i = l, j = l << 1;
        while (j <= m) {
          if (j < m && less(a[j], a[j + 1])) j += 1;
          if (less(tmp, a[j]))
            a[i] = a[j], i = j, j += j;
          else
            break;
        }
        a[i] = tmp;
      }
      for (int64_t k = m; k > 1;) {
        const int tmp = a[k];
        a[k] = a[1];
        k -= 1;
        int64_t i = 1, j = 2;
        while (j <= k) {
          if (j < k && less(a[j], a[j + 1])) j++;
          if (less(tmp, a[j]))
            a[i] = a[j], i = j, j += j;
          else
            break;
        }
        a[i] = tmp;
      }
      goto stack_pop;
    }
    while ((pr - pl) > kSmall) {
      int* pm = pl + ((pr - pl) >> 1);
      if (less(*pm, *pl)) std::swap(*pm, *pl);
      if (less(*pr, *pm)) std::swap(*pr, *pm);
      if (less(*pm, *pl)) std::swap(*pm, *pl);
      const double vp = v[*pm];
      int* pi = pl;
      int* pj = pr - 1;
      std::swap(*pm, *pj);
      for (;;) {
        do ++pi;
        while (v[*pi] < vp);
        do --pj;
        while (vp < v[*pj]);
        if (pi >= pj) break;
        std::swap(*pi, *pj);
      }
      int* pk = pr - 1;
      std::swap(*pi, *pk);
      if (pi - pl < pr - pi) {
        *sptr++ = pi + 1;
        *sptr++ = pr;
        pr = pi - 1;
      } else {
        *sptr++ = pl;
        *sptr++ = pi - 1;
        pl = pi + 1;
      }
      *psdepth++ = --cdepth;
    }
    for (int* pi = pl + 1; pi <= pr; ++pi) {
      const int vi = *pi;
      const double vp = v[vi];
      int* pj = pi;
      int* pk = pi - 1;
      while (pj > pl && vp < v[*pk]) *pj-- = *pk--;
      *pj = vi;
    }
  stack_pop:
    if (sptr == stack) break;
    pr = *(--sptr);
    pl = *(--sptr);
    cdepth = *(--psdepth);
  }
}

}  // namespace chop::search::samplers
