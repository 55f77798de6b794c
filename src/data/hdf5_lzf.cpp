// LZF codec written from the format description (literal runs 000LLLLL + L+1 bytes; back
// references LLLooooo oooooooo, or 111ooooo LLLLLLLL oooooooo for long ones) and its HDF5 filter.
#include "data/hdf5_lzf.h"

#include <hdf5.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

namespace chop::data {

namespace {

constexpr size_t kMaxOffset = 1 << 13;     // 13-bit distance field, stored minus one
constexpr size_t kMaxMatch = 7 + 255 + 2;  // long form: 7 + extra byte, plus the implicit 2
constexpr size_t kMaxLiteral = 32;

size_t decode(const uint8_t* in, size_t in_len, uint8_t* out, size_t out_cap, bool* too_small) {
  if (too_small) *too_small = false;
  size_t ip = 0, op = 0;
  while (ip < in_len) {
    unsigned ctrl = in[ip++];
    if (ctrl < 32) {
      size_t len = ctrl + 1;
      if (ip + len > in_len) return 0;
      if (op + len > out_cap) {
        if (too_small) *too_small = true;
        return 0;
      }
      std::memcpy(out + op, in + ip, len);
      ip += len, op += len;
    } else {
      size_t len = ctrl >> 5;
      if (len == 7) {
        if (ip >= in_len) return 0;
        len += in[ip++];
      }
      len += 2;
      if (ip >= in_len) return 0;
      size_t back = ((ctrl & 31u) << 8) + in[ip++] + 1;
      if (back > op) return 0;
      if (op + len > out_cap) {
        if (too_small) *too_small = true;
        return 0;
      }
      for (size_t k = 0; k < len; ++k, ++op) out[op] = out[op - back];  // may overlap
    }
  }
  return op;
}

}  // namespace

size_t lzf_decompress(const uint8_t* in, size_t in_len, uint8_t* out, size_t out_cap) {
  return decode(in, in_len, out, out_cap, nullptr);
}

size_t lzf_compress(const uint8_t* in, size_t n, uint8_t* out, size_t out_cap) {
  constexpr int kHashBits = 14;
  std::vector<int64_t> table(size_t(1) << kHashBits, -1);
  size_t ip = 0, op = 0, lit_start = 0;
  auto flush_literals = [&](size_t end) -> bool {
    while (lit_start < end) {
      size_t len = std::min(kMaxLiteral, end - lit_start);
      if (op + 1 + len > out_cap) return false;
      out[op++] = static_cast<uint8_t>(len - 1);
      std::memcpy(out + op, in + lit_start, len);
      op += len, lit_start += len;
    }
    return true;
  };
  while (ip + 2 < n) {
    uint32_t v = (uint32_t(in[ip]) << 16) | (uint32_t(in[ip + 1]) << 8) | in[ip + 2];
    uint32_t h = (v * 2654435761u) >> (32 - kHashBits);
    int64_t ref = table[h];
    table[h] = static_cast<int64_t>(ip);
    if (ref >= 0 && ip - static_cast<size_t>(ref) <= kMaxOffset &&
        std::memcmp(in + ref, in + ip, 3) == 0) {
      size_t max_len = std::min(kMaxMatch, n - ip);
      size_t len = 3;
      while (len < max_len && in[ref + len] == in[ip + len]) ++len;
      if (!flush_literals(ip)) return 0;
      size_t off = ip - static_cast<size_t>(ref) - 1;
      size_t l = len - 2;
      if (op + 3 > out_cap) return 0;
      if (l < 7) {
        out[op++] = static_cast<uint8_t>((l << 5) | (off >> 8));
      } else {
        out[op++] = static_cast<uint8_t>((7u << 5) | (off >> 8));
        out[op++] = static_cast<uint8_t>(l - 7);
      }
      out[op++] = static_cast<uint8_t>(off & 0xff);
      ip += len;
      lit_start = ip;
      continue;
    }
    ++ip;
  }
  if (!flush_literals(n)) return 0;
  return op;
}

namespace {

// h5py's lzf filter stores (filter revision, LZF version, chunk bytes) as client data.
constexpr unsigned kFilterRevision = 4;
constexpr unsigned kLzfVersion = 0x0105;

herr_t lzf_set_local(hid_t dcpl, hid_t type, hid_t /*space*/) {
  unsigned flags;
  size_t n_values = 8;
  unsigned values[8] = {0};
  if (H5Pget_filter_by_id2(dcpl, kLzfFilterId, &flags, &n_values, values, 0, nullptr, nullptr) < 0)
    return -1;
  hsize_t chunk[32];
  int rank = H5Pget_chunk(dcpl, 32, chunk);
  if (rank < 0) return -1;
  size_t bytes = H5Tget_size(type);
  if (bytes == 0) return -1;
  for (int i = 0; i < rank; ++i) bytes *= chunk[i];
  unsigned cd[3] = {kFilterRevision, kLzfVersion, static_cast<unsigned>(bytes)};
  return H5Pmodify_filter(dcpl, kLzfFilterId, flags, 3, cd);
}

size_t lzf_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                  size_t* buf_size, void** buf) {
  if (!(flags & H5Z_FLAG_REVERSE)) {
    if (nbytes < 2) return 0;
    size_t cap = nbytes - 1;  // only worth storing when it shrinks
    auto* out = static_cast<uint8_t*>(std::malloc(cap));
    if (!out) return 0;
    size_t n = lzf_compress(static_cast<const uint8_t*>(*buf), nbytes, out, cap);
    if (n == 0) {
      std::free(out);
      return 0;  // the filter is optional: HDF5 stores this chunk uncompressed
    }
    std::free(*buf);
    *buf = out;
    *buf_size = cap;
    return n;
  }
  // An LZF block expands at most ~132x (a 3-byte reference copies up to 264 bytes), so the
  // decoded size is bounded by the input whatever the file's client data claims.
  const size_t max_out = nbytes * 133 + 64;
  if (cd_nelmts >= 3 && cd_values[2] != 0) {
    // h5py's third parameter is the chunk's byte size, which libhdf5 then copies out of this
    // buffer without checking what the filter returned: decode to exactly that size or fail.
    const size_t chunk_bytes = cd_values[2];
    if (chunk_bytes > max_out) return 0;
    auto* out = static_cast<uint8_t*>(std::malloc(chunk_bytes));
    if (!out) return 0;
    bool too_small = false;
    const size_t n =
        decode(static_cast<const uint8_t*>(*buf), nbytes, out, chunk_bytes, &too_small);
    if (n != chunk_bytes) {
      std::free(out);
      return 0;
    }
    std::free(*buf);
    *buf = out;
    *buf_size = chunk_bytes;
    return n;
  }
  size_t cap = std::max<size_t>(*buf_size, 1);
  cap = std::min(cap, max_out);
  for (int attempt = 0; attempt < 12; ++attempt) {
    auto* out = static_cast<uint8_t*>(std::malloc(cap));
    if (!out) return 0;
    bool too_small = false;
    size_t n = decode(static_cast<const uint8_t*>(*buf), nbytes, out, cap, &too_small);
    if (n > 0) {
      std::free(*buf);
      *buf = out;
      *buf_size = cap;
      return n;
    }
    std::free(out);
    if (!too_small || cap >= max_out) return 0;  // malformed block
    cap = std::min(cap * 2, max_out);
  }
  return 0;
}

const H5Z_class2_t kLzfClass = {
    H5Z_CLASS_T_VERS, static_cast<H5Z_filter_t>(kLzfFilterId), 1, 1, "lzf", nullptr, lzf_set_local,
    lzf_filter};

}  // namespace

void ensure_hdf5_filters() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5open();
    // chop reports HDF5 failures itself; HDF5's own error-stack dumps would be noise.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const char* debian_plugins = "/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins";
    if (!std::getenv("HDF5_PLUGIN_PATH") && std::filesystem::exists(debian_plugins)) {
      H5PLappend(debian_plugins);
    }
    H5Zregister(&kLzfClass);
  });
}

std::string missing_hdf5_filters(int64_t dset_id) {
  hid_t dcpl = H5Dget_create_plist(dset_id);
  if (dcpl < 0) return "";
  std::string missing;
  int n = H5Pget_nfilters(dcpl);
  for (int i = 0; i < n; ++i) {
    unsigned flags, config;
    size_t n_values = 0;
    char name[256] = {0};
    H5Z_filter_t id = H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n_values, nullptr,
                                     sizeof(name), name, &config);
    if (id < 0) continue;
    if (H5Zfilter_avail(id) <= 0) {
      if (!missing.empty()) missing += ", ";
      missing +=
          "'" + std::string(name[0] ? name : "unnamed") + "' (id " + std::to_string(id) + ")";
    }
  }
  H5Pclose(dcpl);
  if (missing.empty()) return "";
  return "the data is compressed with HDF5 filter " + missing +
         ", which is not available: install the filter's HDF5 plugin and point HDF5_PLUGIN_PATH "
         "at its folder, or rewrite the file without it (h5repack -f NONE)";
}

}  // namespace chop::data
