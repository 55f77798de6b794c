// The small SQL interface the Optuna RDB storage (rdb_storage.h) is written against once:
// prepared statements with bind/step/column, transactions, and the few things a database
// answers in its own way (schema DDL, a "did anyone else commit?" signal, study locking).
// SQLite implements it (sqlite_connection.h); a PostgreSQL connection is one more file pair.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace chop::search::sql {

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
