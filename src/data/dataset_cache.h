// The data-set cache (MASE's; --disable-dataset-cache turns it off): the processed splits of a
// data set in one binary file per (data set, options, seed, contents of the files it reads), so
// the next process reads them instead of generating or parsing again. Files are written
// atomically and carry a checksum; a file that fails any check is rebuilt, never trusted.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "data/dataset.h"

namespace chop::data {

/// $CHOP_CACHE_DIR, else $XDG_CACHE_HOME/chop, else $HOME/.cache/chop; plus "/datasets".
std::string default_dataset_cache_dir();

/// The cache key of data set `name` with `options`: the name, every option that changes the
/// splits, a format version, and a hash of the contents of options.data_path (the file, or the
/// regular files of the folder). Throws DataError when data_path cannot be read.
std::string dataset_cache_key(const std::string& name, const DatasetOptions& options);

/// The splits from `dir` when a valid cache file for `key` is there (logging that it was read);
/// otherwise `build()` is called and its result written to the cache (a corrupt file is
/// replaced, with a warning). Cache write failures only warn: the data are still returned.
Splits load_with_cache(const std::string& dir, const std::string& key,
                       const std::function<Splits()>& build);

/// Tests: the file load_with_cache uses for `key` in `dir`.
std::string dataset_cache_path(const std::string& dir, const std::string& key);

}  // namespace chop::data
