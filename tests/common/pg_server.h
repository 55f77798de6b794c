// The throwaway PostgreSQL servers of the tests (tests/pg/pg_server.sh): the shared one of the
// ctest fixture `pg_server`, or — when a test binary runs outside ctest — one started for the
// process; and private servers a test stops and restarts (outage tests). Each is stopped when
// its owner ends, however it ends (the script's watchdog).
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace chop::testing {

class PgServer {
 public:
  /// The fixture's server (CHOP_TEST_PG_STATE, set by ctest) or one for this process.
  static PgServer& shared() {
    static std::unique_ptr<PgServer> server = [] {
      const char* state = std::getenv("CHOP_TEST_PG_STATE");
      if (state && *state) return std::unique_ptr<PgServer>(new PgServer(state, false));
      return std::unique_ptr<PgServer>(new PgServer(fresh_state_dir("shared"), true));
    }();
    return *server;
  }

  /// A private server, started now and stopped (data deleted) by the destructor.
  explicit PgServer(const std::string& tag) : PgServer(fresh_state_dir(tag), true) {}
  ~PgServer() {
    if (owned_) script("stop");
    if (owned_) std::filesystem::remove_all(state_);
  }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  /// Stops the server keeping its data (`immediate`: as if it crashed), and starts it again.
  void halt(bool immediate = false) {
    script(std::string("halt ") + (immediate ? "immediate" : "fast"));
  }
  void resume() { script("resume --watch " + std::to_string(getpid())); }

  const std::string& port() const { return env_.at("CHOP_PG_PORT"); }
  const std::string& password() const { return env_.at("CHOP_PG_PASSWORD"); }
  const std::string& noperm_password() const { return env_.at("CHOP_PG_NOPERM_PASSWORD"); }

  /// postgresql://chop:PASSWORD@127.0.0.1:PORT/db (or without the password).
  std::string url(const std::string& db, bool with_password = true) const {
    return "postgresql://chop" + (with_password ? ":" + password() : std::string()) +
           "@127.0.0.1:" + port() + "/" + db;
  }
  std::string noperm_url(const std::string& db) const {
    return "postgresql://chop_noperm:" + noperm_password() + "@127.0.0.1:" + port() + "/" + db;
  }
  /// A ~/.pgpass-format line for the chop role (for PGPASSFILE tests).
  std::string pgpass_line() const { return "127.0.0.1:" + port() + ":*:chop:" + password() + "\n"; }

  /// A new, empty database owned by `chop`, unique to this process and tag.
  std::string fresh_database(const std::string& tag) {
    const std::string db = "t_" + tag + "_" + std::to_string(getpid());
    admin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    admin("CREATE DATABASE " + db + " OWNER chop");
    return db;
  }

  /// Runs SQL as the superuser over the Unix socket (in `db`); throws on failure.
  void admin(const std::string& sql, const std::string& db = "postgres") const {
    const std::string conninfo =
        "host=" + env_.at("CHOP_PG_SOCKET_DIR") + " port=" + port() + " user=postgres dbname=" + db;
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      std::string why = PQerrorMessage(c);
      PQfinish(c);
      throw std::runtime_error("test server: cannot connect as postgres: " + why);
    }
    PGresult* r = PQexec(c, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    std::string why = ok ? "" : PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    if (!ok) throw std::runtime_error("test server: " + sql + ": " + why);
  }

  /// The first column of the first row of `sql` as an integer (-1 when there is none).
  int64_t query_int(const std::string& sql, const std::string& db) const {
    const std::string conninfo =
        "host=" + env_.at("CHOP_PG_SOCKET_DIR") + " port=" + port() + " user=postgres dbname=" + db;
    PGconn* c = PQconnectdb(conninfo.c_str());
    int64_t v = -1;
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
      PQclear(r);
    }
    PQfinish(c);
    return v;
  }

  /// Shell commands for the server script (for tests that run it from a child process).
  std::string script_path() const {
    return std::string(CHOP_SOURCE_DIR) + "/tests/pg/pg_server.sh";
  }
  const std::string& state_dir() const { return state_; }

 private:
  PgServer(std::string state, bool owned) : state_(std::move(state)), owned_(owned) {
    if (owned_) script("start --watch " + std::to_string(getpid()));
    std::ifstream in(state_ + "/server.env");
    if (!in)
      throw std::runtime_error("no PostgreSQL test server at " + state_ +
                               " (the pg_server ctest fixture did not start it; run "
                               "tests/pg/pg_server.sh start " +
                               state_ + " to see why)");
    for (std::string line; std::getline(in, line);) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) env_[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }

  static std::string fresh_state_dir(const std::string& tag) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("chop_pg_state_" + tag + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
  }

  void script(const std::string& args) const {
    const std::string cmd =
        "bash '" + script_path() + "' " + args.substr(0, args.find(' ')) + " '" + state_ + "'" +
        (args.find(' ') == std::string::npos ? "" : args.substr(args.find(' '))) + " >/dev/null";
    if (std::system(cmd.c_str()) != 0)
      throw std::runtime_error("test server: `" + cmd + "` failed");
  }

  std::string state_;
  bool owned_;
  std::map<std::string, std::string> env_;
};

}  // namespace chop::testing
