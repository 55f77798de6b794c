// Opening a study storage by URL or path (memory, SQLite, PostgreSQL; one branch per backend).
#include "core/error.h"
#include "core/strings.h"
#include "search/storage.h"
#include "search/storages/pg_url.h"
#include "search/storages/postgres_connection.h"
#include "search/storages/rdb_storage.h"
#include "search/storages/sqlite_connection.h"

namespace chop::search {

std::shared_ptr<Storage> open_sqlite_storage(const std::string& path, int busy_timeout_ms) {
  return make_rdb_storage(sql::open_sqlite_connection(path, busy_timeout_ms));
}

namespace {

bool is_memory(const std::string& url) {
  const std::string l = to_lower(url);
  return url.empty() || l == ":memory:" || l == "memory" || l == "inmemory" || l == "in-memory";
}

bool is_sqlite_path(const std::string& url) {
  const std::string l = to_lower(url);
  return ends_with(l, ".db") || ends_with(l, ".sqlite") || ends_with(l, ".sqlite3");
}

}  // namespace

bool is_storage_url(const std::string& url) {
  return starts_with(url, "sqlite:") || pg::is_pg_url(url) ||
         (!is_memory(url) && is_sqlite_path(url));
}

std::string sqlite_path_of(const std::string& url) {
  if (starts_with(url, "sqlite:///")) return url.substr(10);
  if (starts_with(url, "sqlite:")) return url.substr(7);
  if (!is_memory(url) && !pg::is_pg_url(url) && is_sqlite_path(url)) return url;
  return "";
}

std::string redact_storage_url(const std::string& url) {
  return pg::redact_url_secrets(url);
}

std::shared_ptr<Storage> open_storage(const std::string& url, double server_retry_s) {
  if (is_memory(url)) return make_in_memory_storage();
  if (starts_with(url, "sqlite:")) return open_sqlite_storage(sqlite_path_of(url));
  if (pg::is_pg_url(url)) {
    pg::PgRetryPolicy retry;
    retry.retry_timeout_s = server_retry_s;
    return make_rdb_storage(sql::open_postgres_connection(url, retry));
  }
  if (is_sqlite_path(url)) return open_sqlite_storage(url);
  throw UserError("unknown storage '" + redact_storage_url(url) +
                  "' (expected sqlite:///path.db, a path ending in .db, postgresql://user@host/db, "
                  "or \"memory\")");
}

}  // namespace chop::search
