// One libpq connection to a PostgreSQL study database, used through whole transactions: a
// dropped connection or a restarting server is retried with backoff for a configurable time and
// the transaction re-run from its start (the server rolled the broken one back, so nothing is
// ever half-written); then a clear UnavailableError. Messages never carry credentials.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "search/storages/pg_url.h"
#include "search/storages/sql_connection.h"

struct pg_conn;
struct pg_result;

namespace chop::search::pg {

/// How long and how often to try again after the connection broke.
struct PgRetryPolicy {
  double retry_timeout_s = 300.0;  // give up this long after the first failure
  double first_backoff_s = 0.05;   // wait before the first retry; doubles up to max_backoff_s
  double max_backoff_s = 5.0;
};

/// An SQL error the server reported (not a lost connection). `sqlstate` is the five-character
/// code ("23505" unique violation, "42501" insufficient privilege, ...).
class PgSqlError : public DataError {
 public:
  PgSqlError(const std::string& where, const std::string& message, std::string sqlstate)
      : DataError(where, message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

/// A statement parameter: text, or SQL NULL.
struct PgParam {
  std::optional<std::string> text;
  PgParam(std::nullptr_t) {}                        // NOLINT(google-explicit-constructor): NULL
  PgParam(const std::string& s) : text(s) {}        // NOLINT
  PgParam(const char* s) : text(std::string(s)) {}  // NOLINT
  PgParam(int64_t v) : text(std::to_string(v)) {}   // NOLINT
  PgParam(int v) : text(std::to_string(v)) {}       // NOLINT
  PgParam(double v);                                // NOLINT: round-trips exactly
};

/// A result set (owned; rows and columns from 0). Values arrive as text.
class PgResult {
 public:
  explicit PgResult(pg_result* res) : res_(res) {}
  PgResult(PgResult&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  bool is_null(int row, int col) const;
  std::string text(int row, int col) const;  // "" for NULL
  /// The value's text inside the result ("" for NULL), valid as long as the result.
  const char* raw(int row, int col) const;
  int64_t int64(int row, int col) const;
  double number(int row, int col) const;  // accepts NaN/Infinity spellings
  /// Rows changed by an INSERT/UPDATE/DELETE.
  int64_t affected() const;

 private:
  pg_result* res_;
};

class PgConnection;

/// The statement API inside one transaction attempt (see PgConnection::transaction).
class PgTxn {
 public:
  /// Runs one statement with $1, $2, ... parameters (prepared once per connection).
  PgResult exec(const std::string& sql, const std::vector<PgParam>& params = {});
  /// True when an earlier attempt of this transaction broke while its COMMIT was in flight, so
  /// it may have been committed: a non-idempotent body checks before writing again.
  bool commit_uncertain() const { return commit_uncertain_; }
  int attempt() const { return attempt_; }

 private:
  friend class PgConnection;
  PgTxn(PgConnection* c, int attempt, bool uncertain)
      : conn_(c), attempt_(attempt), commit_uncertain_(uncertain) {}
  PgConnection* conn_;
  int attempt_;
  bool commit_uncertain_;
};

class PgConnection {
 public:
  /// Connects at once. A failure here is not retried (a typo should not wait minutes): wrong
  /// password, unknown role/database or missing CONNECT privilege -> UserError; server
  /// unreachable -> UnavailableError. Both say what to check, never with credentials.
  PgConnection(PgTarget target, PgRetryPolicy retry = {});
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  /// Runs `attempt(commit_uncertain)` (which begins, works and commits) and re-runs it after a
  /// lost connection or a serialization failure/deadlock (sql::TransactionAborted), reconnecting
  /// with backoff until the retry policy's time is spent; then UnavailableError. Thread-safe:
  /// attempts on one connection are serialised.
  void run_with_retry(const std::function<void(bool commit_uncertain)>& attempt);
  /// run_with_retry around BEGIN (`isolation`: "READ COMMITTED", "REPEATABLE READ",
  /// "SERIALIZABLE") … body … COMMIT. SQL errors: PgSqlError (UserError for missing privileges);
  /// any error of the body rolls the transaction back.
  void transaction(const std::function<void(PgTxn&)>& body,
                   const char* isolation = "READ COMMITTED");
  /// One statement in its own transaction, with the same retry.
  void exec_once(const std::string& sql);

  // ---- inside an attempt (run_with_retry) ----------------------------------------------------
  /// One statement with $1, $2, ... parameters, prepared once per server session.
  PgResult exec(const std::string& sql, const std::vector<PgParam>& params = {});
  /// SQL without parameters (BEGIN, DDL; several statements allowed).
  void exec_simple(const std::string& sql);
  /// COMMIT; a connection that breaks here throws TransactionAborted with during_commit().
  void commit();
  /// Never throws; does nothing on a broken connection (the server rolled back already).
  void rollback() noexcept;

  const PgTarget& target() const { return target_; }
  std::string describe() const { return target_.describe(); }
  const PgRetryPolicy& retry_policy() const { return retry_; }
  /// Reconnections after a lost connection so far (tests, progress messages).
  int64_t n_reconnects() const { return n_reconnects_; }
  /// The server's major version number (15, 16, ...).
  int server_major_version();

 private:
  void connect_or_throw(bool first);
  void drop();
  [[noreturn]] void raise(pg_result* res, bool during_commit);

  PgTarget target_;
  PgRetryPolicy retry_;
  pg_conn* conn_ = nullptr;
  std::recursive_mutex mu_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
  int64_t n_reconnects_ = 0;
};

}  // namespace chop::search::pg
