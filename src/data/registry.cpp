// The data set table; see registry.h.
#include "data/registry.h"

#include "core/error.h"
#include "core/strings.h"
#include "data/dataset_cache.h"

namespace chop::data {

const Registry<DatasetEntry>& dataset_registry() {
  static const Registry<DatasetEntry> entries{
      {"data set", "data sets", "chop list datasets"},
      {
          {"jsc",
           "LHC jet substructure, 16 high-level features, 5 classes (g, q, W, Z, t). Without "
           "--data-path: a built-in synthetic set at the real set's scale",
           "optional: the official HDF5 file processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_"
           "t220_nonu_truth.z (dataset t_allpar_new), or the OpenML 42468 table as .csv/.arff",
           false, load_jsc},
          {"mnist", "MNIST handwritten digits, 1x28x28, 10 classes",
           "a folder with t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz), and "
           "optionally train-images-idx3-ubyte / train-labels-idx1-ubyte",
           true, load_mnist},
          {"cifar10", "CIFAR-10 images, 3x32x32, 10 classes (binary version)",
           "a folder with test_batch.bin (or one test_batch*.bin) and optionally "
           "data_batch_1.bin ... data_batch_5.bin, or a single .bin file",
           true, load_cifar10},
          {"toy_tiny", "MASE's toy set: 4 uniform inputs as 1x2x2, label = (sum > 0), 2 classes",
           "", false, load_toy_tiny},
      }};
  return entries;
}

Table dataset_table() {
  Table t;
  t.header = {"name", "description", "--data-path"};
  for (const DatasetEntry& e : dataset_registry()) {
    t.rows.push_back(
        {e.name, e.description,
         e.files.empty() ? "not used" : (e.needs_data_path ? "required: " : "") + e.files});
  }
  t.max_col_widths = {0, 50, 60};
  return t;
}

const DatasetEntry& find_dataset(const std::string& name) {
  return dataset_registry().get(name);
}

Splits load_dataset(const std::string& name, const DatasetOptions& options) {
  const DatasetEntry& e = find_dataset(name);
  if (e.needs_data_path && options.data_path.empty()) {
    throw UserError("data set '" + e.name + "' reads files and has no built-in data: give " +
                    e.files + " with --data-path DIR (TOML key data_path)");
  }
  if (!options.use_cache) return e.load(options);
  return load_with_cache(default_dataset_cache_dir(), dataset_cache_key(e.name, options),
                         [&] { return e.load(options); });
}

}  // namespace chop::data
