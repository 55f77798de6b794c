// JSC names, MASE's preprocessing (dedup, sklearn-exact split, standardisation) and the loader
// that picks the built-in synthetic set or a real file.
#include "data/jsc.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <unordered_set>

#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/strings.h"
#include "data/mt19937.h"
#include "data/registry.h"

namespace chop::data {

namespace jsc {

const std::vector<std::string>& feature_names() {
  static const std::vector<std::string> names = {
      "j_zlogz",         "j_c1_b0_mmdt",    "j_c1_b1_mmdt", "j_c1_b2_mmdt",
      "j_c2_b1_mmdt",    "j_c2_b2_mmdt",    "j_d2_b1_mmdt", "j_d2_b2_mmdt",
      "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt", "j_m2_b2_mmdt",
      "j_n2_b1_mmdt",    "j_n2_b2_mmdt",    "j_mass_mmdt",  "j_multiplicity"};
  return names;
}

const std::vector<std::string>& class_names() {
  static const std::vector<std::string> names = {"g", "q", "W", "Z", "t"};
  return names;
}

namespace {

uint32_t canonical_bits(float f) {
  if (f == 0.0f) return 0;  // -0.0 == 0.0, as pandas compares values
  if (std::isnan(f)) return 0x7fc00000u;
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

/// Indices of the first occurrence of every distinct (16 features, label key) row, in order.
std::vector<int64_t> unique_rows(const Table& t) {
  struct Hash {
    const Table* t;
    size_t operator()(int64_t i) const {
      uint64_t h = 1469598103934665603ULL ^ static_cast<uint32_t>(t->label_key[i]);
      for (int j = 0; j < kNumFeatures; ++j) {
        h = (h ^ canonical_bits(t->x[i * kNumFeatures + j])) * 1099511628211ULL;
      }
      return static_cast<size_t>(h ^ (h >> 29));
    }
  };
  struct Eq {
    const Table* t;
    bool operator()(int64_t a, int64_t b) const {
      if (t->label_key[a] != t->label_key[b]) return false;
      for (int j = 0; j < kNumFeatures; ++j) {
        if (canonical_bits(t->x[a * kNumFeatures + j]) !=
            canonical_bits(t->x[b * kNumFeatures + j]))
          return false;
      }
      return true;
    }
  };
  std::unordered_set<int64_t, Hash, Eq> seen(static_cast<size_t>(t.n) * 2, Hash{&t}, Eq{&t});
  std::vector<int64_t> keep;
  keep.reserve(static_cast<size_t>(t.n));
  for (int64_t i = 0; i < t.n; ++i) {
    if (seen.insert(i).second) keep.push_back(i);
  }
  return keep;
}

}  // namespace

Splits preprocess(Table table, int64_t n_val, uint32_t split_seed, PreprocessStats* stats) {
  std::vector<int64_t> rows = unique_rows(table);
  auto n = static_cast<int64_t>(rows.size());
  if (stats) *stats = {table.n, table.n - n};
  if (n < 3) {
    throw DataError(table.source, "only " + std::to_string(n) +
                                      " distinct rows; at least 3 are needed for the 80/20 split");
  }
  IndexSplit split = sklearn_train_test_split(n, 0.2, split_seed);
  auto n_tv = static_cast<int64_t>(split.train.size());
  auto n_test = static_cast<int64_t>(split.test.size());

  // StandardScaler on the 80 % part: float64 mean and population variance; zero scale -> 1.
  double mean[kNumFeatures] = {0}, scale[kNumFeatures] = {0};
  for (int64_t r : split.train) {
    const float* row = &table.x[rows[r] * kNumFeatures];
    for (int j = 0; j < kNumFeatures; ++j) mean[j] += row[j];
  }
  for (double& m : mean) m /= static_cast<double>(n_tv);
  for (int64_t r : split.train) {
    const float* row = &table.x[rows[r] * kNumFeatures];
    for (int j = 0; j < kNumFeatures; ++j) scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
  }
  for (double& s : scale) {
    s = std::sqrt(s / static_cast<double>(n_tv));
    if (s < 10 * std::numeric_limits<double>::epsilon()) s = 1.0;
  }
  auto build = [&](const std::vector<int64_t>& idx) {
    auto m = static_cast<int64_t>(idx.size());
    at::Tensor x = at::empty({m, kNumFeatures}, at::kFloat);
    at::Tensor y = at::empty({m}, at::kLong);
    float* xp = x.data_ptr<float>();
    int64_t* yp = y.data_ptr<int64_t>();
    for (int64_t k = 0; k < m; ++k) {
      int64_t src = rows[idx[k]];
      for (int j = 0; j < kNumFeatures; ++j) {
        // sklearn on float32: X -= mean_; X /= scale_ (float64 arithmetic, float32 storage).
        float centred = static_cast<float>(table.x[src * kNumFeatures + j] - mean[j]);
        xp[k * kNumFeatures + j] = static_cast<float>(centred / scale[j]);
      }
      yp[k] = table.y[src];
    }
    return TensorDataset{x, y};
  };
  Splits s;
  TensorDataset train_val = build(split.train);
  s.test = build(split.test);
  if (n_val < 0) n_val = std::max<int64_t>(1, n_tv / 10);
  if (n_val >= n_tv) {
    throw UserError("jsc: --val-size must be below the " + std::to_string(n_tv) +
                    " rows of the training part, got " + std::to_string(n_val));
  }
  if (n_val == 0) {
    s.train = train_val;
    s.val = train_val;
  } else {
    s.train = train_val.slice(0, n_tv - n_val);
    s.val = train_val.slice(n_tv - n_val, n_tv);
  }
  DatasetInfo& info = s.info;
  info.name = "jsc";
  info.input_shape = {kNumFeatures};
  info.n_classes = kNumClasses;
  info.class_names = class_names();
  info.feature_names = feature_names();
  info.source = table.source;
  info.split_note =
      with_thousands(table.n) + " rows, " + with_thousands(table.n - n) + " duplicates dropped; " +
      "80/20 split as sklearn train_test_split(random_state=" + std::to_string(split_seed) +
      "): " + with_thousands(n_tv) + " train+val / " + with_thousands(n_test) +
      " test; standardised with the train+val mean/std; " +
      (n_val == 0 ? std::string("val = train (MASE)")
                  : "val = last " + with_thousands(n_val) + " rows of train+val (held out)");
  return s;
}

}  // namespace jsc

namespace {

std::string resolve_jsc_path(const std::string& data_path) {
  namespace fs = std::filesystem;
  if (!fs::exists(data_path)) throw DataError(data_path, "jsc: --data-path does not exist");
  if (!fs::is_directory(data_path)) return data_path;
  for (const char* name : {"processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z",
                           "hls4ml_lhc_jets_hlf.csv", "hls4ml_lhc_jets_hlf.arff"}) {
    if (fs::exists(fs::path(data_path) / name)) return (fs::path(data_path) / name).string();
  }
  throw DataError(data_path,
                  "jsc: no data file in this folder: looked for "
                  "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z, "
                  "hls4ml_lhc_jets_hlf.csv and hls4ml_lhc_jets_hlf.arff (or name the file itself)");
}

}  // namespace

Splits load_jsc(const DatasetOptions& options) {
  if (options.seed < 0 || options.seed > 0xffffffffLL) {
    throw UserError("jsc: seed must be in [0, 2^32), got " + std::to_string(options.seed));
  }
  auto seed = static_cast<uint32_t>(options.seed);
  jsc::Table table;
  if (options.data_path.empty()) {
    int64_t n = options.n_samples > 0 ? options.n_samples : jsc::kSyntheticDefaultRows;
    if (options.n_samples == 0 || n < 10) throw UserError("jsc: n_samples must be at least 10");
    // The raw table, then the standardised tensors: about twice the table per row.
    check_flag_memory("--dataset-size", checked_mul(static_cast<uint64_t>(n), 2 * 80),
                      "a synthetic JSC set of " + with_thousands(n) + " rows");
    table = jsc::generate_synthetic(n, static_cast<uint64_t>(options.seed));
  } else {
    table = jsc::read_file(resolve_jsc_path(options.data_path));
    if (options.n_samples > 0) log_warning("jsc: n_samples applies to the synthetic set only");
  }
  jsc::PreprocessStats stats;
  Splits s = jsc::preprocess(std::move(table), options.n_val, seed, &stats);
  if (!options.data_path.empty() && stats.n_duplicates > 0) {
    log_info("jsc: dropped " + with_thousands(stats.n_duplicates) + " duplicate rows of " +
             with_thousands(stats.n_read));
  }
  return s;
}

}  // namespace chop::data
