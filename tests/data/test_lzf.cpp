// The LZF codec against hand-made streams from the format description, and round trips.
#include <gtest/gtest.h>

#include <random>

#include "data/hdf5_lzf.h"

namespace chop::data {
namespace {

std::string decode(const std::vector<uint8_t>& in, size_t cap) {
  std::string out(cap, '\0');
  size_t n = lzf_decompress(in.data(), in.size(), reinterpret_cast<uint8_t*>(&out[0]), cap);
  out.resize(n);
  return out;
}

TEST(Lzf, DecodesLiteralShortAndLongBackReferences) {
  // literal "abc" (000 00010), then a back reference of 9 bytes at distance 3:
  // long form 111 00000, extra length 0, offset byte 2 (distance - 1).
  EXPECT_EQ(decode({0x02, 'a', 'b', 'c', 0xE0, 0x00, 0x02}, 64), "abcabcabcabc");
  // short form: length 3 -> L=1 (001 00000), distance 3 -> offset 2.
  EXPECT_EQ(decode({0x02, 'a', 'b', 'c', 0x20, 0x02}, 64), "abcabc");
  // run-length via overlapping copy: "x" then 10 more at distance 1 (L=10-2=8 -> long form, extra
  // 1).
  EXPECT_EQ(decode({0x00, 'x', 0xE0, 0x01, 0x00}, 64), std::string(11, 'x'));
  // 13-bit distance: high bits live in the control byte (distance 300 = 0x12B + 1).
  std::vector<uint8_t> far = {0x1F};
  std::string lit;
  for (int i = 0; i < 32; ++i) lit += static_cast<char>('A' + i % 26);
  for (char c : lit) far.push_back(static_cast<uint8_t>(c));
  std::vector<uint8_t> stream;
  std::string expect;
  for (int k = 0; k < 10; ++k) {  // 320 literal bytes
    stream.insert(stream.end(), far.begin(), far.end());
    expect += lit;
  }
  stream.push_back(0x20 | 0x01);  // length 3, distance high bits 1
  stream.push_back(0x2B);         // distance low byte: (1 << 8) + 0x2B + 1 = 300
  expect += expect.substr(expect.size() - 300, 3);
  EXPECT_EQ(decode(stream, 1024), expect);
}

TEST(Lzf, RejectsMalformedInput) {
  EXPECT_EQ(decode({0x20, 0x05}, 64), "");                 // reference before the start
  EXPECT_EQ(decode({0x05, 'a', 'b'}, 64), "");             // literal runs past the input
  EXPECT_EQ(decode({0x02, 'a', 'b', 'c'}, 2), "");         // output does not fit
  EXPECT_EQ(decode({0x02, 'a', 'b', 'c', 0xE0}, 64), "");  // truncated long reference
}

TEST(Lzf, RoundTripsRepetitiveAndRandomData) {
  std::mt19937 rng(5);
  for (size_t n : {1u, 2u, 3u, 31u, 32u, 33u, 1000u, 65536u}) {
    std::vector<uint8_t> in(n);
    for (size_t i = 0; i < n; ++i) in[i] = static_cast<uint8_t>((i % 7 == 0) ? rng() : i / 13);
    std::vector<uint8_t> enc(n + n / 16 + 64), dec(n);
    size_t m = lzf_compress(in.data(), n, enc.data(), enc.size());
    ASSERT_GT(m, 0u) << n;
    EXPECT_EQ(lzf_decompress(enc.data(), m, dec.data(), n), n);
    EXPECT_EQ(dec, in);
  }
  std::vector<uint8_t> noise(4096);
  for (auto& b : noise) b = static_cast<uint8_t>(rng());
  std::vector<uint8_t> enc(4095);
  EXPECT_EQ(lzf_compress(noise.data(), noise.size(), enc.data(), enc.size()), 0u);  // no gain
}

}  // namespace
}  // namespace chop::data
