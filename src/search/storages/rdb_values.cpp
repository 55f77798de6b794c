// Optuna's RDB value encodings; see rdb_values.h.
#include "search/storages/rdb_values.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace chop::search::rdb {

namespace {

// The fields of "YYYY-MM-DD HH:MM:SS[.fff…]" into tm (as written: year and month not offset)
// and the fraction as milliseconds, whatever its number of digits (servers trim trailing
// zeros). False for null or malformed text.
bool parse_fields(const char* text, std::tm& tm, int64_t& frac_ms) {
  if (!text) return false;
  int consumed = 0;
  if (std::sscanf(text, "%d-%d-%d %d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) < 6)
    return false;
  frac_ms = 0;
  if (text[consumed] == '.') {
    int64_t scale = 100;
    for (const char* p = text + consumed + 1; *p >= '0' && *p <= '9' && scale > 0; ++p) {
      frac_ms += (*p - '0') * scale;
      scale /= 10;
    }
  }
  return true;
}

// Days from 1970-01-01 to the given proleptic Gregorian date (March-based years, so the leap
// day ends a year: 400-year eras of 146097 days).
int64_t days_since_epoch(int64_t year, int64_t month, int64_t day) {
  if (month <= 2) --year;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t month_from_march = (month + 9) % 12;
  const int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

}  // namespace

std::string format_datetime(int64_t ms) {
  if (ms <= 0) return "";
  // Every write of a trial formats its datetimes: the seconds part changes about once a trial,
  // so the local-time conversion runs once per second, not once per call.
  thread_local std::time_t cached_secs = -1;
  thread_local char cached_prefix[48];
  const auto secs = static_cast<std::time_t>(ms / 1000);
  if (secs != cached_secs) {
    std::tm tm{};
    localtime_r(&secs, &tm);
    std::snprintf(cached_prefix, sizeof cached_prefix, "%04d-%02d-%02d %02d:%02d:%02d",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s.%06d", cached_prefix, static_cast<int>(ms % 1000) * 1000);
  return buf;
}

int64_t parse_datetime(const char* text) {
  std::tm tm{};
  int64_t frac_ms = 0;
  if (!parse_fields(text, tm, frac_ms)) return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm)) * 1000 + frac_ms;
}

int64_t naive_datetime_ms(const char* text) {
  std::tm tm{};
  int64_t frac_ms = 0;
  if (!parse_fields(text, tm, frac_ms)) return 0;
  const int64_t days = days_since_epoch(tm.tm_year, tm.tm_mon, tm.tm_mday);
  return ((days * 24 + tm.tm_hour) * 60 + tm.tm_min) * 60000 + tm.tm_sec * int64_t{1000} + frac_ms;
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
