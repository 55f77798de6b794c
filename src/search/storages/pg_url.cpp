// PostgreSQL URL parsing (libpq's parser) and redaction; see pg_url.h.
#include "search/storages/pg_url.h"

#include <libpq-fe.h>

#include <cstdlib>

#include "core/error.h"
#include "core/strings.h"

namespace chop::search::pg {
namespace {

void replace_all(std::string& text, const std::string& secret, const std::string& with) {
  if (secret.empty()) return;
  for (size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + with.size()))
    text.replace(at, secret.size(), with);
}

}  // namespace

bool is_pg_url(const std::string& url) {
  return starts_with(url, "postgresql://") || starts_with(url, "postgres://");
}

std::string redact_url_secrets(std::string text) {
  // scheme://user:secret@host — the secret runs from the first ':' after "//" to the last '@'
  // before the next '/', '?' or white space.
  for (size_t scheme = text.find("://"); scheme != std::string::npos;
       scheme = text.find("://", scheme + 3)) {
    const size_t start = scheme + 3;
    size_t end = start;
    while (end < text.size() && text[end] != '/' && text[end] != '?' && text[end] != ' ' &&
           text[end] != '"' && text[end] != '\'' && text[end] != '\n')
      ++end;
    const size_t at = text.rfind('@', end);
    if (at == std::string::npos || at < start) continue;
    const size_t colon = text.find(':', start);
    if (colon == std::string::npos || colon > at) continue;
    text.replace(colon + 1, at - colon - 1, "***");
  }
  // key=value forms: ?password=secret&…, "password=secret host=…" (conninfo strings).
  const std::string lower = to_lower(text);
  std::string out;
  size_t from = 0;
  for (size_t k = lower.find("password="); k != std::string::npos;
       k = lower.find("password=", k + 9)) {
    const size_t v = k + 9;
    size_t end = v;
    while (end < text.size() && text[end] != '&' && text[end] != ' ' && text[end] != '"' &&
           text[end] != '\'' && text[end] != '\n')
      ++end;
    out += text.substr(from, v - from) + "***";
    from = end;
  }
  out += text.substr(from);
  return out;
}

std::string PgTarget::describe() const {
  std::string s = "postgresql://";
  if (!user.empty()) s += user + "@";
  const bool socket = starts_with(host, "/");
  if (!socket) s += host.empty() ? "localhost" : host;
  if (!port.empty() && !socket) s += ":" + port;
  s += "/" + dbname;
  if (socket) s += "?host=" + host + (port.empty() ? "" : "&port=" + port);
  return redact(s);
}

std::string PgTarget::redact(std::string text) const {
  replace_all(text, url, redact_url_secrets(url));
  if (password.size() >= 3) replace_all(text, password, "***");
  if (const char* env = std::getenv("PGPASSWORD"); env && std::string(env).size() >= 3)
    replace_all(text, env, "***");
  return redact_url_secrets(std::move(text));
}

PgTarget parse_pg_url(const std::string& url) {
  PgTarget t;
  t.url = url;
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (!opts) {
    std::string why = err ? err : "out of memory";
    if (err) PQfreemem(err);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    throw UserError("bad PostgreSQL URL '" + redact_url_secrets(url) +
                    "': " + redact_url_secrets(why) +
                    " (expected postgresql://user@host:port/database; put the password in "
                    "~/.pgpass, PGPASSFILE or PGPASSWORD rather than in the URL)");
  }
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    const std::string key = o->keyword;
    if (key == "user") t.user = o->val;
    if (key == "host") t.host = o->val;
    if (key == "hostaddr" && t.host.empty()) t.host = o->val;
    if (key == "port") t.port = o->val;
    if (key == "dbname") t.dbname = o->val;
    if (key == "password") t.password = o->val;
  }
  PQconninfoFree(opts);
  return t;
}

}  // namespace chop::search::pg
