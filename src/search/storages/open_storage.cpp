// Opening a study storage by URL or path (memory, SQLite; one branch per backend).
#include "core/error.h"
#include "core/strings.h"
#include "search/storage.h"
#include "search/storages/rdb_storage.h"
#include "search/storages/sqlite_connection.h"

namespace chop::search {

std::shared_ptr<Storage> open_sqlite_storage(const std::string& path, int busy_timeout_ms) {
  return make_rdb_storage(sql::open_sqlite_connection(path, busy_timeout_ms));
}

std::shared_ptr<Storage> open_storage(const std::string& url) {
  const std::string l = to_lower(url);
  if (url.empty() || l == ":memory:" || l == "memory" || l == "inmemory" || l == "in-memory")
    return make_in_memory_storage();
  if (starts_with(url, "sqlite:///")) return open_sqlite_storage(url.substr(10));
  if (starts_with(url, "sqlite:")) return open_sqlite_storage(url.substr(7));
  if (ends_with(l, ".db") || ends_with(l, ".sqlite") || ends_with(l, ".sqlite3"))
    return open_sqlite_storage(url);
  throw UserError("unknown storage '" + url +
                  "' (expected sqlite:///path.db, a path ending in .db, or \"memory\")");
}

}  // namespace chop::search
