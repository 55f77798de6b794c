// JSC (LHC jet substructure, hls4ml high-level features): feature/class names, the raw table
// that every source produces, MASE's preprocessing, and the file readers and generator.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace chop::data::jsc {

constexpr int kNumFeatures = 16;
constexpr int kNumClasses = 5;

/// The 16 inputs in MASE's order, with the .z file's names ("j_zlogz", ..., "j_multiplicity").
const std::vector<std::string>& feature_names();
/// chop's (= MASE's) class order: g, q, W, Z, t.
const std::vector<std::string>& class_names();

/// Rows as read, before any preprocessing. `label_key` distinguishes rows whose one-hot truth
/// differs even when the argmax label is the same (MASE deduplicates over all 21 columns).
struct Table {
  int64_t n = 0;
  std::vector<float> x;            // n x 16, row-major
  std::vector<int64_t> y;          // n, 0..4 in chop's order
  std::vector<int32_t> label_key;  // n; one-hot bits (HDF5) or the label (text files)
  std::string source;
};

/// Reads the official HDF5 file (dataset t_allpar_new; members read by name; LZF supported).
Table read_hdf5(const std::string& path);
/// Reads the OpenML 42468 table as CSV or ARFF (names with or without the "j_" prefix, a
/// `class` column of g, q, t, w, z letters mapped to g, q, W, Z, t).
Table read_text(const std::string& path);
/// Format by content: HDF5 signature -> read_hdf5, otherwise CSV/ARFF text.
Table read_file(const std::string& path);

/// Synthetic jets: `n` rows, classes cycling g,q,W,Z,t (exactly balanced for n % 5 == 0).
/// Row i depends only on (seed, i), so the result is the same for any thread count.
Table generate_synthetic(int64_t n, uint64_t seed);
constexpr int64_t kSyntheticDefaultRows = 986808;  // the real set after deduplication (§1.5)

struct PreprocessStats {
  int64_t n_read = 0, n_duplicates = 0;
};

/// MASE's pipeline: drop duplicate rows (first occurrence kept), sklearn-exact 80/20 split with
/// RandomState(split_seed), StandardScaler (ddof 0) fitted on the 80 % part; then the last
/// `n_val` rows of the 80 % part become validation (n_val 0: validation = train, as MASE).
/// n_val < 0 means 10 % of the 80 % part (at least one row).
Splits preprocess(Table table, int64_t n_val, uint32_t split_seed,
                  PreprocessStats* stats = nullptr);

}  // namespace chop::data::jsc
