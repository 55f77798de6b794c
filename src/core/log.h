// One logging knob (--log-level / CHOP_LOG_LEVEL): messages go to stderr, results to stdout.
#pragma once

#include <string>

namespace chop {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kCritical = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();
/// Parses MASE's names (debug, info, warning, error, critical); throws UserError otherwise.
LogLevel parse_log_level(const std::string& name);

void log_debug(const std::string& msg);
void log_info(const std::string& msg);
void log_warning(const std::string& msg);
void log_error(const std::string& msg);

}  // namespace chop
