// chop's three error channels: user/config mistakes (typed, with a location), broken internal
// invariants (CHOP_ASSERT), and the exit codes the CLI maps them to. No LibTorch here.
#pragma once

#include <stdexcept>
#include <string>

namespace chop {

/// Process exit codes; the CLI catches once and returns one of these.
enum class ExitCode : int {
  kOk = 0,
  kUserError = 2,      // bad flag, unknown model/action, wrong value
  kConfigError = 3,    // bad TOML: unknown key, wrong type, missing key
  kDataError = 4,      // missing, truncated or corrupt data/checkpoint file
  kRuntimeError = 5,   // a run failed (e.g. NaN loss in every trial)
  kUnavailable = 75,   // a study server unreachable, or lost beyond the retry time (EX_TEMPFAIL)
  kInterrupted = 130,  // SIGINT: work so far was saved
  kInternalError = 70  // a bug in chop
};

/// Base of every error chop reports to a user. `what()` is the full one-line message.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

/// A mistake in what the user typed or asked for (unknown model, bad flag value, ...).
class UserError : public Error {
 public:
  explicit UserError(const std::string& message) : Error(ExitCode::kUserError, message) {}
};

/// A mistake in a configuration file or table. `where` is "file:line:col" or a key path.
class ConfigError : public Error {
 public:
  ConfigError(const std::string& where, const std::string& message)
      : Error(ExitCode::kConfigError, where.empty() ? message : where + ": " + message),
        where_(where) {}
  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

/// A data, dataset or checkpoint file that is missing, truncated or malformed.
class DataError : public Error {
 public:
  DataError(const std::string& path, const std::string& message)
      : Error(ExitCode::kDataError, path.empty() ? message : path + ": " + message) {}
};

/// A run that could not complete for reasons other than bad input (e.g. diverged training).
class RunError : public Error {
 public:
  explicit RunError(const std::string& message) : Error(ExitCode::kRuntimeError, message) {}
};

/// A service chop needs (a study's database server) cannot be reached now; running the same
/// command again later is the remedy. Messages never carry credentials.
class UnavailableError : public Error {
 public:
  explicit UnavailableError(const std::string& message) : Error(ExitCode::kUnavailable, message) {}
};

/// A broken invariant inside chop (a bug), raised by CHOP_ASSERT.
class InternalError : public Error {
 public:
  explicit InternalError(const std::string& message) : Error(ExitCode::kInternalError, message) {}
};

[[noreturn]] void assert_fail(const char* cond, const char* file, int line, const std::string& msg);

}  // namespace chop

/// Internal invariant check; failure throws InternalError naming the source location.
#define CHOP_ASSERT(cond, msg)                                               \
  do {                                                                       \
    if (!(cond)) ::chop::assert_fail(#cond, __FILE__, __LINE__, (msg));      \
  } while (0)
