// Memory budget, thread cap and checked size arithmetic; see limits.h.
#include "core/limits.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "core/error.h"

namespace chop {

uint64_t memory_budget_bytes() {
  if (const char* env = std::getenv("CHOP_MAX_MEMORY_MB")) {
    if (auto mb = parse_int64(env); mb && *mb > 0) {
      if (auto b = checked_mul(static_cast<uint64_t>(*mb), 1ull << 20)) return *b;
    }
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 4ull << 30;  // unknown machine: assume a small one
  const uint64_t phys = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
  return phys / 10 * 8;
}

std::string format_bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 6) v /= 1024.0, ++u;
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[u]);
  return buf;
}

int max_threads() {
  const unsigned hw = std::thread::hardware_concurrency();
  return 8 * static_cast<int>(hw == 0 ? 1 : hw);
}

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::optional<uint64_t> element_count(const std::vector<int64_t>& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    auto m = checked_mul(n, static_cast<uint64_t>(d));
    if (!m) return std::nullopt;
    n = *m;
  }
  // Sizes must stay representable as int64 (LibTorch's numel type).
  if (n > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return n;
}

std::optional<uint64_t> tensor_bytes(const std::vector<int64_t>& shape, uint64_t element_bytes) {
  auto n = element_count(shape);
  if (!n) return std::nullopt;
  return checked_mul(*n, element_bytes);
}

std::optional<std::string> memory_refusal(std::optional<uint64_t> bytes, const std::string& what) {
  const uint64_t budget = memory_budget_bytes();
  if (bytes && *bytes <= budget) return std::nullopt;
  std::string why = std::getenv("CHOP_MAX_MEMORY_MB")
                        ? "the CHOP_MAX_MEMORY_MB limit"
                        : "80% of this machine's memory; CHOP_MAX_MEMORY_MB sets another limit";
  if (!bytes)
    return what + " needs more memory than 64-bit sizes can express, more than the " +
           format_bytes(budget) + " chop may use (" + why + ")";
  return what + " needs " + format_bytes(*bytes) + ", more than the " + format_bytes(budget) +
         " chop may use (" + why + ")";
}

void check_file_memory(const std::string& path, std::optional<uint64_t> bytes,
                       const std::string& what) {
  if (auto m = memory_refusal(bytes, what)) throw DataError(path, *m + ": corrupt or hostile file?");
}

void check_flag_memory(const std::string& flag, std::optional<uint64_t> bytes,
                       const std::string& what) {
  if (auto m = memory_refusal(bytes, what)) throw UserError(flag + ": " + *m + "; use a smaller value");
}

std::optional<int64_t> parse_int64(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end != text.c_str() + text.size()) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<double> parse_finite_double(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  // Overflow gives +-HUGE_VAL (not finite); underflow to a denormal or 0 is accepted.
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace chop
