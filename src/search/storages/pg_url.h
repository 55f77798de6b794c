// PostgreSQL connection URLs: parsed by libpq's own parser, shown without their secrets. Every
// message chop prints about a PostgreSQL study goes through redact() (credentials never shown).
#pragma once

#include <string>

namespace chop::search::pg {

/// What chop knows of a `postgresql://` (or `postgres://`) URL.
struct PgTarget {
  std::string url;       // as given, possibly with a password: handed to libpq only
  std::string user;      // empty: libpq's default (PGUSER or the login name)
  std::string host;      // empty: libpq's default (PGHOST or the local socket)
  std::string port;      // empty: libpq's default (PGPORT or 5432)
  std::string dbname;    // empty: libpq's default (the user name)
  std::string password;  // from the URL itself (for redaction; libpq reads ~/.pgpass itself)

  /// "postgresql://user@host:port/db" — never a password, never query parameters.
  std::string describe() const;
  /// `text` with every credential chop knows of replaced by "***": the URL's password, any
  /// `user:secret@` or `password=secret` spelled in it, and PGPASSWORD's value.
  std::string redact(std::string text) const;
};

/// True for "postgresql://…" and "postgres://…".
bool is_pg_url(const std::string& url);

/// Parses with libpq (PQconninfoParse). Throws UserError naming the redacted URL and the
/// problem for a malformed one.
PgTarget parse_pg_url(const std::string& url);

/// Replaces the password of any `scheme://user:password@` and the value of `password=` in
/// `text` with "***" (for text that may hold a URL chop was never given, e.g. a config dump).
std::string redact_url_secrets(std::string text);

}  // namespace chop::search::pg
