// In-memory data sets: a split is one (X, y) tensor pair built once; batches are index_select /
// narrow views over it, never per-sample copies. Shared by every data set and by training.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace chop::data {

/// One split: x float32 [N, ...], y int64 [N]. Both contiguous on the CPU.
struct TensorDataset {
  at::Tensor x;
  at::Tensor y;

  int64_t size() const { return x.defined() ? x.size(0) : 0; }
  /// Rows [begin, end) as views (no copy).
  TensorDataset slice(int64_t begin, int64_t end) const;
  /// Rows `index` (int64 1-D) gathered with index_select: one copy per batch, not per sample.
  TensorDataset gather(const at::Tensor& index) const;
  /// x reshaped to [N, prod(sample shape)] (a view for contiguous x).
  TensorDataset flattened() const;
};

/// Static facts about a data set, for models (input shape, class count) and for `chop list`.
struct DatasetInfo {
  std::string name;
  std::vector<int64_t> input_shape;  // per sample: {16} for jsc, {1, 28, 28} for mnist
  int64_t n_classes = 0;
  std::vector<std::string> class_names;
  std::vector<std::string> feature_names;  // tabular data sets only (jsc)
  std::string source;                      // "synthetic (seed 42)" or the file(s) read
  std::string split_note;                  // how train / val / test were formed
  bool test_is_val = false;                // test split aliases validation (test-only image files)

  int64_t n_features() const;  // product of input_shape
};

struct Splits {
  TensorDataset train, val, test;
  DatasetInfo info;
};

/// Options every data set understands; -1 means "the data set's documented default".
struct DatasetOptions {
  std::string data_path;   // file or folder (flag --data-path, TOML key data_path)
  int64_t seed = 42;       // synthetic content and JSC's 80/20 split (MASE: random_state=42)
  int64_t n_samples = -1;  // synthetic sets: rows generated (jsc: total before the 80/20 split;
                           // toy_tiny: rows per split)
  int64_t n_val = -1;      // validation rows carved from the training part (0 for jsc: MASE's
                           // validation == train)
  bool flatten = false;    // image sets: X as [N, C*H*W] instead of [N, C, H, W]
  bool use_cache = false;  // load through the data-set cache (dataset_cache.h); the CLI's default
};

// ---- batching -------------------------------------------------------------------------------

/// Number of batches of `batch_size` over `n` rows (the last one may be short unless drop_last).
int64_t num_batches(int64_t n, int64_t batch_size, bool drop_last = false);

/// Batch `batch_index` of the epoch order `order` (int64 [N] permutation; undefined tensor means
/// the natural order, served as a narrow view without any copy).
TensorDataset get_batch(const TensorDataset& data, const at::Tensor& order, int64_t batch_index,
                        int64_t batch_size);

/// Epoch orders from one seeded generator, one permutation per call. Uses LibTorch's CPU
/// generator and at::randperm, so the sequence equals PyTorch's
/// `g = torch.Generator().manual_seed(seed); torch.randperm(n, generator=g)` (what
/// mase_peer.py does each epoch) and does not depend on the thread count or global RNG state.
class Shuffler {
 public:
  explicit Shuffler(uint64_t seed);
  at::Tensor next(int64_t n);

 private:
  at::Generator gen_;
};

/// One-shot deterministic permutation of [0, n) for `seed` (first output of Shuffler(seed)).
at::Tensor shuffled_indices(int64_t n, uint64_t seed);

}  // namespace chop::data
