// The data set registry: one table (name -> loader, description, files it reads) that
// `chop list datasets`, the CLI's --data-path handling and training all use.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/registry.h"
#include "core/table.h"
#include "data/dataset.h"

namespace chop::data {

struct DatasetEntry {
  std::string name;
  std::string description;
  /// What --data-path must name ("" when the set never reads files), e.g. "a folder with
  /// t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]".
  std::string files;
  bool needs_data_path = false;  // file-backed with no built-in default
  std::function<Splits(const DatasetOptions&)> load;
};

/// All data sets, in display order: jsc, mnist, cifar10, toy_tiny.
const Registry<DatasetEntry>& dataset_registry();

/// The registry as a table (name, description, --data-path) for `chop list datasets`.
Table dataset_table();

/// dataset_registry().get(name): UserError with a did-you-mean suggestion for an unknown name.
const DatasetEntry& find_dataset(const std::string& name);

/// Builds the three splits of data set `name`. Errors: UserError (unknown name, missing
/// --data-path), DataError (missing, truncated or malformed file, naming it).
Splits load_dataset(const std::string& name, const DatasetOptions& options);

// Individual loaders (also reachable through the registry).
Splits load_jsc(const DatasetOptions& options);
Splits load_mnist(const DatasetOptions& options);
Splits load_cifar10(const DatasetOptions& options);
Splits load_toy_tiny(const DatasetOptions& options);

}  // namespace chop::data
