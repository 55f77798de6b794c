// SQLite implementation of sql::Connection: WAL journal (frames written whole, sqlite_wal_vfs.h),
// busy timeout, 1 KiB pages for new files, Optuna 3.x's SQLite table types, and
// PRAGMA data_version as the change signal.
#pragma once

#include <memory>
#include <string>

#include "search/storages/sql_connection.h"

namespace chop::search::sql {

/// Opens (creating if needed) the SQLite file at `path`. DataError naming the file when it is
/// not a usable database.
std::unique_ptr<Connection> open_sqlite_connection(const std::string& path, int busy_timeout_ms);

}  // namespace chop::search::sql
