// libpq connection with whole-transaction retry; see pg_connection.h.
#include "search/storages/pg_connection.h"

#include <libpq-fe.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "core/interrupt.h"
#include "core/log.h"
#include "core/strings.h"

namespace chop::search::pg {
namespace {

using Clock = std::chrono::steady_clock;

// libpq's messages span lines ("connection to server at … failed: FATAL:  …"); users get the
// last meaningful part.
std::string short_reason(const char* raw) {
  std::vector<std::string> lines;
  for (auto& l : split(raw ? raw : "", '\n')) {
    std::string t = l;
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.erase(0, 1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\r')) t.pop_back();
    if (!t.empty()) lines.push_back(t);
  }
  if (lines.empty()) return "unknown error";
  // The line with the cause wins over libpq's generic hints ("Is the server running …?").
  std::string best = lines.back();
  for (const auto& l : lines)
    if (l.find(" failed: ") != std::string::npos || l.find("FATAL:") != std::string::npos ||
        l.find("ERROR:") != std::string::npos)
      best = l;
  for (const char* marker : {" failed: ", "FATAL:  ", "ERROR:  "}) {
    const size_t at = best.rfind(marker);
    if (at != std::string::npos) best = best.substr(at + std::string(marker).size());
  }
  return best.empty() ? "unknown error" : best;
}

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

// A connection attempt that failed for a reason retrying cannot fix: a user mistake.
std::string permanent_hint(const std::string& why, const PgTarget& t) {
  const std::string user = t.user.empty() ? "the user" : "'" + t.user + "'";
  const std::string db = t.dbname.empty() ? "the database" : "'" + t.dbname + "'";
  if (contains(why, "password authentication failed") || contains(why, "authentication failed"))
    return "wrong password for " + user +
           ": chop takes it from the URL, PGPASSFILE, ~/.pgpass or PGPASSWORD";
  if (contains(why, "no password supplied") || contains(why, "password is required"))
    return "the server wants a password for " + user +
           ": put it in ~/.pgpass (or PGPASSFILE, PGPASSWORD) rather than in the URL";
  if (contains(why, "role") && contains(why, "does not exist"))
    return "no role " + user + " on the server: ask its administrator to CREATE ROLE … LOGIN";
  if (contains(why, "database") && contains(why, "does not exist"))
    return "no database " + db + " on the server: create it (createdb) or name another one";
  if (contains(why, "permission denied for database"))
    return user + " may not connect to " + db + ": GRANT CONNECT ON DATABASE to it";
  if (contains(why, "pg_hba.conf"))
    return "the server does not accept " + user + " from this host: add a pg_hba.conf entry";
  if (contains(why, "invalid") || contains(why, "SSL")) return "check the URL's parameters";
  return "";
}

void sleep_checking_interrupt(double seconds) {
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < until && !interrupt_requested())
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

}  // namespace

PgParam::PgParam(double v) {
  if (std::isnan(v)) {
    text = "NaN";
  } else if (std::isinf(v)) {
    text = v > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    text = buf;
  }
}

// ---------------------------------------------------------------------------------------------
// PgResult

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (res_) PQclear(res_);
    res_ = o.res_;
    o.res_ = nullptr;
  }
  return *this;
}
PgResult::~PgResult() {
  if (res_) PQclear(res_);
}
int PgResult::rows() const {
  return res_ ? PQntuples(res_) : 0;
}
bool PgResult::is_null(int row, int col) const {
  return PQgetisnull(res_, row, col) != 0;
}
std::string PgResult::text(int row, int col) const {
  return is_null(row, col) ? std::string() : std::string(PQgetvalue(res_, row, col));
}
const char* PgResult::raw(int row, int col) const {
  return PQgetvalue(res_, row, col);
}
int64_t PgResult::int64(int row, int col) const {
  return std::strtoll(PQgetvalue(res_, row, col), nullptr, 10);
}
double PgResult::number(int row, int col) const {
  const char* v = PQgetvalue(res_, row, col);
  if (v[0] == 'N') return NAN;
  if (v[0] == 'I') return INFINITY;
  if (v[0] == '-' && v[1] == 'I') return -INFINITY;
  return std::strtod(v, nullptr);
}
int64_t PgResult::affected() const {
  const char* n = res_ ? PQcmdTuples(res_) : "";
  return n[0] ? std::strtoll(n, nullptr, 10) : 0;
}

// ---------------------------------------------------------------------------------------------
// PgTxn

PgResult PgTxn::exec(const std::string& sql, const std::vector<PgParam>& params) {
  return conn_->exec(sql, params);
}

// ---------------------------------------------------------------------------------------------
// PgConnection

PgConnection::PgConnection(PgTarget target, PgRetryPolicy retry)
    : target_(std::move(target)), retry_(retry) {
  connect_or_throw(true);
}

PgConnection::~PgConnection() {
  drop();
}

void PgConnection::drop() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
}

void PgConnection::connect_or_throw(bool first) {
  drop();
  // Defaults a long search wants; the URL's own settings win (they come later in the list).
  // Keepalives notice a silently dead server in about a minute instead of hours.
  const char* keys[] = {"connect_timeout",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "application_name",
                        "dbname",
                        nullptr};
  const char* vals[] = {"10", "30", "10", "3", "chop", target_.url.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, vals, /*expand_dbname=*/1);
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) {
    // Predictable sessions whatever the server's defaults: ISO datetimes, exact floats. The time
    // zone stays the server's, as for Optuna's own sessions (heartbeats use the server clock).
    PGresult* r = PQexec(conn_,
                         "SET client_min_messages = warning; SET datestyle = 'ISO'; "
                         "SET extra_float_digits = 3");
    const bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (r) PQclear(r);
    if (ok) return;
  }
  const std::string why = target_.redact(short_reason(conn_ ? PQerrorMessage(conn_) : nullptr));
  drop();
  const std::string hint = permanent_hint(why, target_);
  if (!hint.empty())
    throw UserError("cannot open the study database " + describe() + ": " + why + " (" + hint +
                    ")");
  if (first)
    throw UnavailableError("cannot reach the study database " + describe() + ": " + why +
                           " (is the server running and accepting connections from this host? "
                           "check host and port, and the server's listen_addresses)");
  throw sql::TransactionAborted(why, /*connection_lost=*/true, /*during_commit=*/false);
}

int PgConnection::server_major_version() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!conn_) connect_or_throw(false);
  return PQserverVersion(conn_) / 10000;
}

[[noreturn]] void PgConnection::raise(pg_result* res, bool during_commit) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string why =
      target_.redact(primary ? primary : short_reason(conn_ ? PQerrorMessage(conn_) : nullptr));
  if (res) PQclear(res);
  const bool broken = !conn_ || PQstatus(conn_) == CONNECTION_BAD;
  if (broken || sqlstate.empty() || starts_with(sqlstate, "08") || sqlstate == "57P01" ||
      sqlstate == "57P02" || sqlstate == "57P03")
    throw sql::TransactionAborted(why, /*connection_lost=*/true, during_commit);
  if (sqlstate == "40001" || sqlstate == "40P01")
    throw sql::TransactionAborted(why, /*connection_lost=*/false, false);
  if (sqlstate == "42501")
    throw UserError("the study database " + describe() + " refused: " + why +
                    " (the role needs CREATE on the schema and read/write on Optuna's tables: "
                    "ask the database owner to GRANT them, or use a database you own)");
  if (sqlstate == "53100" || sqlstate == "53200")
    throw PgSqlError(describe(), "the server is out of disk or memory: " + why, sqlstate);
  throw PgSqlError(describe(), "SQL error " + sqlstate + ": " + why, sqlstate);
}

PgResult PgConnection::exec(const std::string& sql, const std::vector<PgParam>& params) {
  if (!conn_) throw sql::TransactionAborted("not connected", true, false);
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    const std::string name = "chop_s" + std::to_string(prepared_.size());
    PGresult* r = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) raise(r, false);
    PQclear(r);
    it = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i)
    values[i] = params[i].text ? params[i].text->c_str() : nullptr;
  PGresult* r = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                               values.data(), nullptr, nullptr, 0);
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) raise(r, false);
  return PgResult(r);
}

void PgConnection::exec_simple(const std::string& sql) {
  if (!conn_) throw sql::TransactionAborted("not connected", true, false);
  PGresult* r = PQexec(conn_, sql.c_str());
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) raise(r, false);
  PQclear(r);
}

void PgConnection::commit() {
  if (!conn_) throw sql::TransactionAborted("not connected", true, false);
  PGresult* r = PQexec(conn_, "COMMIT");
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK) raise(r, /*during_commit=*/true);
  PQclear(r);
}

void PgConnection::rollback() noexcept {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) return;
  PGresult* r = PQexec(conn_, "ROLLBACK");
  if (r) PQclear(r);
}

void PgConnection::run_with_retry(const std::function<void(bool)>& attempt) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  std::optional<Clock::time_point> first_failure;
  double backoff_s = retry_.first_backoff_s;
  bool commit_uncertain = false;
  int n_conflicts = 0;
  for (;;) {
    std::string why;
    try {
      if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
        connect_or_throw(false);
        ++n_reconnects_;
      }
      attempt(commit_uncertain);
      if (first_failure) {
        const double waited = std::chrono::duration<double>(Clock::now() - *first_failure).count();
        log_warning("reconnected to the study database " + describe() + " after " +
                    seconds_text(waited));
      }
      return;
    } catch (const sql::TransactionAborted& e) {
      rollback();
      why = e.what();
      if (!e.connection_lost()) {
        // Contention, not an outage: retry soon, with a little jitter so rivals separate.
        std::this_thread::sleep_for(std::chrono::milliseconds(1 + std::rand() % 20));
        if (++n_conflicts < 100) continue;
      }
      if (e.during_commit()) commit_uncertain = true;
      if (e.connection_lost()) drop();
    }
    const auto now = Clock::now();
    if (!first_failure) {
      first_failure = now;
      log_warning("lost the connection to the study database " + describe() + " (" + why +
                  "); retrying for up to " + seconds_text(retry_.retry_timeout_s));
    }
    const double waited = std::chrono::duration<double>(now - *first_failure).count();
    if (interrupt_requested())
      throw InterruptedError("the study database " + describe() +
                             " was unreachable; nothing half-written is kept there");
    if (waited >= retry_.retry_timeout_s)
      throw UnavailableError("the study database " + describe() + " has been unreachable for " +
                             seconds_text(waited) + " (last error: " + why +
                             "); nothing was half-written: run the same command again once the "
                             "server is back and the study resumes");
    sleep_checking_interrupt(std::min(backoff_s, retry_.retry_timeout_s - waited));
    backoff_s = std::min(backoff_s * 2, retry_.max_backoff_s);
  }
}

void PgConnection::transaction(const std::function<void(PgTxn&)>& body, const char* isolation) {
  const std::string begin = std::string("BEGIN ISOLATION LEVEL ") + isolation;
  int attempt_no = 0;
  run_with_retry([&](bool uncertain) {
    exec_simple(begin);
    PgTxn txn(this, attempt_no++, uncertain);
    try {
      body(txn);
    } catch (const sql::TransactionAborted&) {
      throw;
    } catch (...) {
      rollback();  // the body's own error (or an SQL error): undo its writes
      throw;
    }
    commit();
  });
}

void PgConnection::exec_once(const std::string& sql) {
  transaction([&](PgTxn& txn) { txn.exec(sql); });
}

}  // namespace chop::search::pg
