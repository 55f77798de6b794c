// How Optuna's RDB tables encode values: naive local datetimes with microseconds, and a
// value_type column beside each objective / intermediate value (FINITE, INF_POS, INF_NEG, NAN;
// the value itself is NULL unless finite).
#pragma once

#include <cstdint>
#include <string>

namespace chop::search::rdb {

/// "2024-01-14 10:02:03.123000" for epoch milliseconds (local time); "" for ms <= 0.
std::string format_datetime(int64_t ms);
/// Inverse of format_datetime; any number of fraction digits ("…:03.123" too); 0 for null/bad.
int64_t parse_datetime(const char* text);
/// The same text read as if it were UTC (no time-zone lookup): for the difference between two
/// datetimes of one clock (heartbeats), which no DST change can then skew; 0 for null/bad.
int64_t naive_datetime_ms(const char* text);

/// "FINITE", "INF_POS", "INF_NEG" or "NAN".
const char* value_type(double v);
/// The stored value back from its value_type and (finite) value column.
double typed_value(const char* type, double finite_value);

}  // namespace chop::search::rdb
