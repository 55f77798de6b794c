// Logging to stderr with a level filter; see log.h.
#include "core/log.h"

#include <cstdlib>
#include <iostream>

#include "core/error.h"

namespace chop {
namespace {

LogLevel initial_level() {
  const char* env = std::getenv("CHOP_LOG_LEVEL");
  if (!env) return LogLevel::kInfo;
  try {
    return parse_log_level(env);
  } catch (const Error&) {
    return LogLevel::kInfo;
  }
}

LogLevel& current() {
  static LogLevel level = initial_level();
  return level;
}

void emit(LogLevel level, const char* tag, const std::string& msg) {
  if (level < current()) return;
  std::cerr << tag << msg << '\n';
}

}  // namespace

void set_log_level(LogLevel level) { current() = level; }
LogLevel log_level() { return current(); }

LogLevel parse_log_level(const std::string& name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  if (name == "critical") return LogLevel::kCritical;
  throw UserError("unknown log level '" + name +
                  "'; expected one of debug, info, warning, error, critical");
}

void log_debug(const std::string& msg) { emit(LogLevel::kDebug, "[debug] ", msg); }
void log_info(const std::string& msg) { emit(LogLevel::kInfo, "", msg); }
void log_warning(const std::string& msg) { emit(LogLevel::kWarning, "warning: ", msg); }
void log_error(const std::string& msg) { emit(LogLevel::kError, "error: ", msg); }

}  // namespace chop
