// Small string helpers shared by every layer (splitting, case, number formatting, suggestions).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chop {

std::vector<std::string> split(const std::string& s, char sep);
std::string join(const std::vector<std::string>& parts, const std::string& sep);
std::string to_lower(std::string s);
std::string trim(const std::string& s);
bool starts_with(const std::string& s, const std::string& prefix);
bool ends_with(const std::string& s, const std::string& suffix);
std::string replace_all(std::string s, const std::string& from, const std::string& to);

/// 14029450 -> "14,029,450".
std::string with_thousands(int64_t n);

/// Shortest round-tripping text for a double ("0.1", "1e-05", "3").
std::string format_double(double v);

/// " (did you mean 'x'?)" for the closest candidate by edit distance, or "" if none is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

/// "a, b, c" — for "expected one of ..." messages.
std::string list_of(const std::vector<std::string>& items);

}  // namespace chop
