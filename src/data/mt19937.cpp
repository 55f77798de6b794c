// numpy-compatible MT19937; see mt19937.h. Constants are the reference MT19937 ones.
#include "data/mt19937.h"

#include <cmath>

#include "core/error.h"

namespace chop::data {

namespace {
constexpr int kN = 624;
constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpper = 0x80000000U;
constexpr uint32_t kLower = 0x7fffffffU;
}  // namespace

NumpyRandomState::NumpyRandomState(uint32_t seed) {
  mt_[0] = seed;
  for (int i = 1; i < kN; ++i) {
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
  pos_ = kN;
}

void NumpyRandomState::twist() {
  for (int i = 0; i < kN; ++i) {
    uint32_t y = (mt_[i] & kUpper) | (mt_[(i + 1) % kN] & kLower);
    mt_[i] = mt_[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
  }
  pos_ = 0;
}

uint32_t NumpyRandomState::next_u32() {
  if (pos_ >= kN) twist();
  uint32_t y = mt_[pos_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

uint64_t NumpyRandomState::next_u64() {
  uint64_t hi = next_u32();
  return (hi << 32) | next_u32();
}

double NumpyRandomState::random_sample() {
  uint32_t a = next_u32() >> 5;
  uint32_t b = next_u32() >> 6;
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

uint64_t NumpyRandomState::random_interval(uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;
  for (int shift = 1; shift <= 32; shift *= 2) mask |= mask >> shift;
  uint64_t value;
  if (max <= 0xffffffffULL) {
    while ((value = (next_u32() & mask)) > max) {
    }
  } else {
    while ((value = (next_u64() & mask)) > max) {
    }
  }
  return value;
}

std::vector<int64_t> numpy_permutation(int64_t n, uint32_t seed) {
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  NumpyRandomState rs(seed);
  // Legacy RandomState.shuffle: Fisher-Yates from the end.
  for (int64_t i = n - 1; i >= 1; --i) {
    auto j = static_cast<int64_t>(rs.random_interval(static_cast<uint64_t>(i)));
    std::swap(perm[i], perm[j]);
  }
  return perm;
}

IndexSplit sklearn_train_test_split(int64_t n, double test_fraction, uint32_t seed) {
  CHOP_ASSERT(test_fraction > 0 && test_fraction < 1, "test_fraction must be in (0, 1)");
  auto n_test = static_cast<int64_t>(std::ceil(test_fraction * static_cast<double>(n)));
  std::vector<int64_t> perm = numpy_permutation(n, seed);
  IndexSplit out;
  out.test.assign(perm.begin(), perm.begin() + n_test);
  out.train.assign(perm.begin() + n_test, perm.end());
  return out;
}

}  // namespace chop::data
