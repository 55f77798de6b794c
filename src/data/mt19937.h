// numpy's legacy RandomState (MT19937) reproduced bit for bit, so chop's JSC split equals
// sklearn's train_test_split(random_state=42) and toy_tiny equals MASE's generated values.
#pragma once

#include <cstdint>
#include <vector>

namespace chop::data {

/// MT19937 seeded like `numpy.random.RandomState(seed)` for an integer seed (init_genrand).
class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed);
  uint32_t next_u32();
  uint64_t next_u64();  // two draws, high word first (numpy's next_uint64)
  /// `rand()` / `random_sample()`: 53-bit double in [0, 1).
  double random_sample();
  /// numpy's legacy bounded draw in [0, max] (masked rejection sampling).
  uint64_t random_interval(uint64_t max);

 private:
  void twist();
  uint32_t mt_[624];
  int pos_;
};

/// `numpy.random.RandomState(seed).permutation(n)`.
std::vector<int64_t> numpy_permutation(int64_t n, uint32_t seed);

/// sklearn `train_test_split(range(n), test_size=test_fraction, random_state=seed)` index sets:
/// perm = RandomState(seed).permutation(n); test = perm[:ceil(f n)], train = perm[ceil(f n):].
struct IndexSplit {
  std::vector<int64_t> train, test;
};
IndexSplit sklearn_train_test_split(int64_t n, double test_fraction, uint32_t seed);

}  // namespace chop::data
