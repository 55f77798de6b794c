// Crafted (hostile or corrupt) input files for must-fail tests: a chop checkpoint with any header
// JSON and data bytes and a valid checksum, so the test reaches the checks behind the checksum.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>

namespace chop::testing {

/// "CHOPCKPT" | u32 version | u32 crc32(rest) | u64 header bytes | u64 data bytes | header |
/// padding to 64 | data — docs/checkpoints.md.
inline std::string crafted_checkpoint(const std::string& header_json, const std::string& data,
                                      uint32_t version = 1) {
  auto put = [](std::string& s, size_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  const size_t data_begin = (32 + header_json.size() + 63) / 64 * 64;
  std::string b(data_begin + data.size(), '\0');
  b.replace(0, 8, "CHOPCKPT");
  put(b, 8, version, 4);
  put(b, 16, header_json.size(), 8);
  put(b, 24, data.size(), 8);
  b.replace(32, header_json.size(), header_json);
  b.replace(data_begin, data.size(), data);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(b.data() + 16), static_cast<uInt>(b.size() - 16));
  put(b, 12, crc, 4);
  return b;
}

}  // namespace chop::testing
