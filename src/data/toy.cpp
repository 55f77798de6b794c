// MASE's toy_tiny data set, value for value: RandomState(0/1/2).rand(n, 4) scaled to [-1, 1),
// label = (row sum > 0), reshaped to 1x2x2 (dataset/toy.py).
#include "core/error.h"
#include "core/limits.h"
#include "data/mt19937.h"
#include "data/registry.h"

namespace chop::data {

namespace {

constexpr int64_t kToyDefaultRows = 10240;  // MASE's num_samples

TensorDataset toy_split(uint32_t seed, int64_t n, bool flatten) {
  NumpyRandomState rs(seed);
  at::Tensor x = at::empty({n, 4}, at::kFloat);
  at::Tensor y = at::empty({n}, at::kLong);
  float* xp = x.data_ptr<float>();
  int64_t* yp = y.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    double sum = 0;
    for (int j = 0; j < 4; ++j) {
      double v = (rs.random_sample() - 0.5) * 2;  // float64 as numpy, then stored as float32
      sum += v;
      xp[i * 4 + j] = static_cast<float>(v);
    }
    yp[i] = sum > 0 ? 1 : 0;
  }
  return {flatten ? x : x.reshape({n, 1, 2, 2}), y};
}

}  // namespace

Splits load_toy_tiny(const DatasetOptions& options) {
  int64_t n = options.n_samples > 0 ? options.n_samples : kToyDefaultRows;
  if (options.n_samples == 0) throw UserError("toy_tiny: n_samples must be positive");
  // Three splits of 4 floats and a label each, plus the generator's doubles.
  check_flag_memory("--dataset-size", checked_mul(static_cast<uint64_t>(n), 3 * 64),
                    "toy_tiny with " + std::to_string(n) + " rows per split");
  Splits s;
  // MASE fixes the split seeds (train 0, validation 1, test 2); --seed does not change them.
  s.train = toy_split(0, n, options.flatten);
  s.val = toy_split(1, n, options.flatten);
  s.test = toy_split(2, n, options.flatten);
  DatasetInfo& info = s.info;
  info.name = "toy_tiny";
  info.input_shape = options.flatten ? std::vector<int64_t>{4} : std::vector<int64_t>{1, 2, 2};
  info.n_classes = 2;
  info.class_names = {"sum<=0", "sum>0"};
  info.source = "generated (MASE toy_tiny, numpy RandomState seeds 0/1/2)";
  info.split_note = std::to_string(n) +
                    " rows per split, each from its own RandomState seed (train 0, val 1, test 2)";
  return s;
}

}  // namespace chop::data
