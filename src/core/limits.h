// Bounds on what a flag, a key or a file can make chop allocate or start: a memory budget that
// sizes are checked against before allocating, a cap on threads, and overflow-checked arithmetic
// for sizes computed from untrusted numbers. No LibTorch here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chop {

/// Bytes one request may allocate: CHOP_MAX_MEMORY_MB when set (tests and fuzzers lower it),
/// else 80 % of the machine's physical memory.
uint64_t memory_budget_bytes();

/// "1.5 GiB", "640 KiB", "12 B".
std::string format_bytes(uint64_t bytes);

/// The most threads chop starts for one pool (search n_jobs, LibTorch intra-op threads):
/// 8 x the hardware threads. Beyond that, threads only contend and thread creation may fail.
int max_threads();

/// a * b, or nullopt when the product does not fit in 64 bits.
std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b);
/// a + b, or nullopt on overflow.
std::optional<uint64_t> checked_add(uint64_t a, uint64_t b);

/// Element count of a shape: nullopt when a dimension is negative or the product overflows.
std::optional<uint64_t> element_count(const std::vector<int64_t>& shape);

/// Bytes of `shape` with `element_bytes` per element, nullopt on overflow or a negative dim.
std::optional<uint64_t> tensor_bytes(const std::vector<int64_t>& shape, uint64_t element_bytes);

/// nullopt when `bytes` fits the budget; else the reason, for the caller's typed error:
/// "<what> needs 64 GiB, more than the 18 GiB chop may use (...)". An unknown size (nullopt:
/// an overflow) is refused too.
std::optional<std::string> memory_refusal(std::optional<uint64_t> bytes, const std::string& what);

/// Throws DataError(path, ...) when memory_refusal refuses (sizes declared by a file).
void check_file_memory(const std::string& path, std::optional<uint64_t> bytes,
                       const std::string& what);
/// Throws UserError naming `flag` (a flag or TOML key) when memory_refusal refuses.
void check_flag_memory(const std::string& flag, std::optional<uint64_t> bytes,
                       const std::string& what);

/// Parses a whole decimal integer ("12", "-3"); nullopt for anything else or out of int64.
std::optional<int64_t> parse_int64(const std::string& text);
/// Parses a whole finite decimal number; nullopt for text, trailing junk, nan, inf or overflow.
std::optional<double> parse_finite_double(const std::string& text);

}  // namespace chop
