// Optuna's RDB value encodings; see rdb_values.h.
#include "search/storages/rdb_values.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace chop::search::rdb {

std::string format_datetime(int64_t ms) {
  if (ms <= 0) return "";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000) * 1000);
  return buf;
}

int64_t parse_datetime(const char* text) {
  if (!text) return 0;
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text, "%d-%d-%d %d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) < 6)
    return 0;
  // The fraction as milliseconds, whatever its number of digits (servers trim trailing zeros).
  int64_t frac_ms = 0;
  if (text[consumed] == '.') {
    int64_t scale = 100;
    for (const char* p = text + consumed + 1; *p >= '0' && *p <= '9' && scale > 0; ++p) {
      frac_ms += (*p - '0') * scale;
      scale /= 10;
    }
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm)) * 1000 + frac_ms;
}

const char* value_type(double v) {
  if (std::isnan(v)) return "NAN";
  if (std::isinf(v)) return v > 0 ? "INF_POS" : "INF_NEG";
  return "FINITE";
}

double typed_value(const char* type, double finite_value) {
  if (std::strcmp(type, "INF_POS") == 0) return INFINITY;
  if (std::strcmp(type, "INF_NEG") == 0) return -INFINITY;
  if (std::strcmp(type, "NAN") == 0) return NAN;
  return finite_value;
}

}  // namespace chop::search::rdb
