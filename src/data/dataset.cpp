// Split views, batching and seeded epoch shuffles; see dataset.h.
#include "data/dataset.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"

namespace chop::data {

TensorDataset TensorDataset::slice(int64_t begin, int64_t end) const {
  CHOP_ASSERT(0 <= begin && begin <= end && end <= size(), "slice out of range");
  return {x.narrow(0, begin, end - begin), y.narrow(0, begin, end - begin)};
}

TensorDataset TensorDataset::gather(const at::Tensor& index) const {
  return {x.index_select(0, index), y.index_select(0, index)};
}

TensorDataset TensorDataset::flattened() const {
  if (!x.defined() || x.dim() <= 2) return *this;
  return {x.reshape({x.size(0), -1}), y};
}

int64_t DatasetInfo::n_features() const {
  int64_t n = 1;
  for (int64_t d : input_shape) n *= d;
  return n;
}

int64_t num_batches(int64_t n, int64_t batch_size, bool drop_last) {
  CHOP_ASSERT(batch_size > 0, "batch_size must be positive");
  return drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
}

TensorDataset get_batch(const TensorDataset& data, const at::Tensor& order, int64_t batch_index,
                        int64_t batch_size) {
  int64_t n = data.size();
  int64_t begin = batch_index * batch_size;
  CHOP_ASSERT(batch_index >= 0 && begin < n, "batch index out of range");
  int64_t len = std::min(batch_size, n - begin);
  if (!order.defined()) return data.slice(begin, begin + len);
  CHOP_ASSERT(order.numel() == n, "epoch order must cover the split");
  return data.gather(order.narrow(0, begin, len));
}

Shuffler::Shuffler(uint64_t seed) : gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

at::Tensor Shuffler::next(int64_t n) {
  // at::randperm takes the generator's lock itself.
  return at::randperm(n, gen_, at::TensorOptions().dtype(at::kLong));
}

at::Tensor shuffled_indices(int64_t n, uint64_t seed) {
  return Shuffler(seed).next(n);
}

}  // namespace chop::data
