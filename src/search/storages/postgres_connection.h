// PostgreSQL implementation of sql::Connection over libpq (pg_connection.h): Optuna 3.x's tables
// as SQLAlchemy creates them on PostgreSQL (native enum types, SERIAL keys), `?` placeholders
// translated to $N, study-row locks for numbering, an ordered change log, and transactions
// re-run after a lost connection (run_transaction).
#pragma once

#include <memory>
#include <string>

#include "search/storages/pg_connection.h"
#include "search/storages/sql_connection.h"

namespace chop::search::sql {

/// Connects to the database `url` names (errors as PgConnection's, never with credentials).
std::unique_ptr<Connection> open_postgres_connection(const std::string& url,
                                                     const pg::PgRetryPolicy& retry = {});

/// `sql` with `?` placeholders as PostgreSQL's `$1, $2, …` (`?N` -> `$N`); quoted text and
/// identifiers are left alone.
std::string to_dollar_placeholders(const std::string& sql);

}  // namespace chop::search::sql
