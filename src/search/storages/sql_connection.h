// The small SQL interface the Optuna RDB storage (rdb_storage.h) is written against once:
// prepared statements with bind/step/column, transactions, and the few things a database
// answers in its own way (schema DDL, a "did anyone else commit?" signal, study locking).
// SQLite implements it (sqlite_connection.h); a PostgreSQL connection is one more file pair.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chop::search::sql {

/// Thrown by a connection's operations when re-running the whole transaction may succeed: the
/// connection to the server broke (the server rolled the transaction back; if `during_commit`,
/// the COMMIT may or may not have happened), or the server aborted it (serialization failure,
/// deadlock). Connections that can retry catch it in run_transaction(); it never reaches users.
class TransactionAborted : public std::runtime_error {
 public:
  TransactionAborted(const std::string& why, bool connection_lost, bool during_commit)
      : std::runtime_error(why), connection_lost_(connection_lost), during_commit_(during_commit) {}
  bool connection_lost() const { return connection_lost_; }
  bool during_commit() const { return during_commit_; }

 private:
  bool connection_lost_;
  bool during_commit_;
};

/// A prepared statement owned by its connection. SQL text uses `?` placeholders (and `?N` for
/// the N-th one, reused); a connection whose server spells them otherwise ($1) translates them
/// when it prepares. Bind indices start at 1, column indices at 0.
class Statement {
 public:
  virtual ~Statement() = default;
  virtual void bind_int(int i, int64_t v) = 0;
  virtual void bind_double(int i, double v) = 0;
  virtual void bind_text(int i, std::string_view v) = 0;
  virtual void bind_null(int i) = 0;
  /// Runs the statement on first call, then advances: true while a row is available.
  virtual bool next_row() = 0;
  /// Runs a statement that returns no rows, then resets it; returns the rows it changed.
  virtual int64_t run() = 0;
  /// Runs an INSERT that creates one row (as run()) and returns the new row's id (its integer
  /// primary key; SQLite: the rowid, PostgreSQL: lastval() of the serial).
  virtual int64_t run_insert() = 0;
  /// Ends the current execution early (after reading only some rows).
  virtual void reset() = 0;
  virtual int64_t column_int(int i) = 0;
  virtual double column_double(int i) = 0;
  /// Null for SQL NULL; valid until the next next_row()/reset().
  virtual const char* column_text(int i) = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;

  /// The prepared statement for `sql`, reset and with no bindings. Statements are cached by the
  /// ADDRESS of `sql` (no hashing of the text on the hot path): pass string literals, or strings
  /// kept alive by intern().
  virtual Statement& prepare(const char* sql) = 0;
  /// Runs SQL without results or parameters (DDL, several statements allowed).
  virtual void exec(const std::string& sql) = 0;

  /// Runs one transaction attempt, `attempt(commit_uncertain)`, which begins, works and commits.
  /// A connection to a server re-runs it after TransactionAborted (reconnecting with backoff
  /// until its retry time is spent, then UnavailableError); `commit_uncertain` is true when an
  /// earlier attempt broke during its COMMIT, so a non-idempotent body checks before writing
  /// again. SQLite: one attempt. Every storage operation goes through here.
  virtual void run_transaction(const std::function<void(bool commit_uncertain)>& attempt) {
    attempt(false);
  }

  /// Starts a write transaction that serialises writers (SQLite: BEGIN IMMEDIATE).
  virtual void begin_write() = 0;
  /// Starts a read transaction: several reads see one snapshot.
  virtual void begin_read() = 0;
  virtual void commit() = 0;
  /// Never throws (used on error paths).
  virtual void rollback() noexcept = 0;

  /// Creates Optuna's tables (and chop's change log and indexes) if missing, in this database's
  /// types; rdb_storage.cpp writes the version rows.
  virtual void create_tables_if_missing() = 0;
  /// A value that changes whenever another connection commits (SQLite's PRAGMA data_version);
  /// nullopt when the database has no such signal (readers then always re-read).
  virtual std::optional<int64_t> data_version() = 0;
  /// SQL with one `?` (the study id) that locks the study's row until commit, for databases whose
  /// begin_write() does not already serialise writers (PostgreSQL: SELECT ... FOR UPDATE);
  /// nullptr when it does.
  virtual const char* lock_study_sql() const { return nullptr; }
  /// An SQL expression for the database server's current time as a naive timestamp with at
  /// least millisecond resolution (heartbeats are written and judged by this one clock).
  virtual const char* server_now_sql() const = 0;
  /// SQL run before a write transaction appends to chop_trial_changes, so that change-log entries
  /// become visible in sequence order (PostgreSQL: sequences are drawn before commit); nullptr
  /// when writers are serialised anyway.
  virtual const char* change_log_lock_sql() const { return nullptr; }

  /// Where the data lives, for messages ("/path/study.db"; never credentials).
  virtual const std::string& target() const = 0;
  /// "sqlite:/path/study.db".
  virtual std::string describe() const = 0;

  /// Keeps a SQL string built at run time alive (and unique) for prepare().
  const char* intern(const std::string& sql) { return interned_.insert(sql).first->c_str(); }

 private:
  std::set<std::string> interned_;
};

}  // namespace chop::search::sql
