// The LZF codec (format of liblzf / h5py's "lzf" HDF5 filter, id 32000) and its in-process
// registration with HDF5, so chop reads h5py's compression='lzf' files without any plugin.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace chop::data {

constexpr int kLzfFilterId = 32000;

/// Decodes an LZF block into `out` (capacity `out_cap`); returns the decoded size, or 0 when the
/// input is malformed or the output does not fit.
size_t lzf_decompress(const uint8_t* in, size_t in_len, uint8_t* out, size_t out_cap);

/// Encodes `in` (greedy, 3-byte hash matches); returns the encoded size, or 0 when it would not
/// fit in `out_cap` (callers then store the data uncompressed, as liblzf's users do).
size_t lzf_compress(const uint8_t* in, size_t in_len, uint8_t* out, size_t out_cap);

/// Registers chop's LZF filter (id 32000, name "lzf", h5py-compatible cd_values) with HDF5
/// once per process, replacing Debian's hdf5-plugin-lzf, which cannot load on its own (it is
/// not linked against liblzf). Also appends Debian's HDF5 plugin folder to the search path when
/// HDF5_PLUGIN_PATH is unset, for other filters. Thread-safe; safe to call repeatedly.
void ensure_hdf5_filters();

/// "" when every filter of dataset `dset_id`'s pipeline can be applied, else a message naming
/// the missing filter(s) and what to do.
std::string missing_hdf5_filters(int64_t dset_id);

}  // namespace chop::data
