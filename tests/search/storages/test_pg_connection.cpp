// The libpq connection layer against a real PostgreSQL server: URLs and redaction, where
// credentials come from, the three connection mistakes (wrong password, unreachable host, no
// permissions) and the retry after a dropped connection or a restarted server.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/pg_server.h"
#include "core/error.h"
#include "search/storages/pg_connection.h"

using namespace chop;
using namespace chop::search::pg;
using chop::testing::PgServer;

namespace {

// A loopback port nobody listens on.
std::string closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return std::to_string(ntohs(a.sin_port));
}

template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

int64_t count_rows(PgConnection& c, const std::string& table) {
  int64_t n = -1;
  c.transaction([&](PgTxn& t) { n = t.exec("SELECT count(*) FROM " + table).int64(0, 0); });
  return n;
}

}  // namespace

TEST(PgUrl, DescribeAndRedactNeverShowThePassword) {
  const PgTarget t = parse_pg_url("postgresql://alice:s3cr3t-pw@db.example:6543/studies");
  EXPECT_EQ(t.user, "alice");
  EXPECT_EQ(t.host, "db.example");
  EXPECT_EQ(t.port, "6543");
  EXPECT_EQ(t.dbname, "studies");
  EXPECT_EQ(t.describe(), "postgresql://alice@db.example:6543/studies");
  const std::string msg = t.redact(
      "failed for postgresql://alice:s3cr3t-pw@db.example:6543/x "
      "with s3cr3t-pw and password=s3cr3t-pw");
  EXPECT_EQ(msg.find("s3cr3t-pw"), std::string::npos) << msg;
  EXPECT_NE(msg.find("alice:***@db.example"), std::string::npos) << msg;
  EXPECT_EQ(redact_url_secrets("postgres://u:p%40ss@h/d?password=zz&sslmode=disable"),
            "postgres://u:***@h/d?password=***&sslmode=disable");
  EXPECT_EQ(parse_pg_url("postgresql:///studies?host=/run/pg&port=5433").describe(),
            "postgresql:///studies?host=/run/pg&port=5433");
  EXPECT_TRUE(is_pg_url("postgres://h/d"));
  EXPECT_FALSE(is_pg_url("sqlite:///x.db"));
}

TEST(PgUrl, MalformedUrlIsAUserErrorWithoutThePassword) {
  const std::string msg = message_of<UserError>(
      [] { parse_pg_url("postgresql://bob:hunter2-secret@host:notaport/db?bogus=1"); });
  EXPECT_NE(msg.find("bad PostgreSQL URL"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hunter2-secret"), std::string::npos) << msg;
}

TEST(PgConnection, ConnectsWithThePasswordInTheUrl) {
  PgServer& s = PgServer::shared();
  PgConnection c(parse_pg_url(s.url("postgres")));
  std::string who;
  c.transaction([&](PgTxn& t) { who = t.exec("SELECT current_user").text(0, 0); });
  EXPECT_EQ(who, "chop");
  EXPECT_GE(c.server_major_version(), 15);
}

TEST(PgConnection, TakesThePasswordFromPgpassfile) {
  PgServer& s = PgServer::shared();
  const std::string file =
      (std::filesystem::temp_directory_path() / ("chop_pgpass_" + std::to_string(getpid())))
          .string();
  std::ofstream(file) << s.pgpass_line();
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  setenv("PGPASSFILE", file.c_str(), 1);
  PgConnection c(parse_pg_url(s.url("postgres", /*with_password=*/false)));
  std::string who;
  c.transaction([&](PgTxn& t) { who = t.exec("SELECT current_user").text(0, 0); });
  EXPECT_EQ(who, "chop");
  unsetenv("PGPASSFILE");
  std::filesystem::remove(file);
}

TEST(PgConnection, WrongPasswordIsOneClearErrorWithoutCredentials) {
  PgServer& s = PgServer::shared();
  const std::string url = "postgresql://chop:Wrong-Pass-123@127.0.0.1:" + s.port() + "/postgres";
  const std::string msg = message_of<UserError>([&] { PgConnection c(parse_pg_url(url)); });
  EXPECT_NE(msg.find("wrong password"), std::string::npos) << msg;
  EXPECT_NE(msg.find("postgresql://chop@127.0.0.1:" + s.port() + "/postgres"), std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("Wrong-Pass-123"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(PgConnection, MissingPasswordSaysWhereToPutIt) {
  PgServer& s = PgServer::shared();
  unsetenv("PGPASSWORD");
  setenv("PGPASSFILE", "/nonexistent/pgpass", 1);
  const std::string msg = message_of<UserError>(
      [&] { PgConnection c(parse_pg_url(s.url("postgres", /*with_password=*/false))); });
  unsetenv("PGPASSFILE");
  EXPECT_NE(msg.find("~/.pgpass"), std::string::npos) << msg;
}

TEST(PgConnection, UnreachableHostIsUnavailableAtOnce) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string url = "postgresql://chop:Secret-xyz-9@127.0.0.1:" + closed_port() + "/db";
  const std::string msg = message_of<UnavailableError>([&] { PgConnection c(parse_pg_url(url)); });
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
  EXPECT_NE(msg.find("cannot reach the study database"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Connection refused"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("Secret-xyz-9"), std::string::npos) << msg;
}

TEST(PgConnection, UnknownDatabaseAndMissingPrivilegesAreUserErrors) {
  PgServer& s = PgServer::shared();
  std::string msg =
      message_of<UserError>([&] { PgConnection c(parse_pg_url(s.url("no_such_db"))); });
  EXPECT_NE(msg.find("no database 'no_such_db'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(s.password()), std::string::npos) << msg;

  const std::string db = s.fresh_database("noperm");
  PgConnection c(parse_pg_url(s.noperm_url(db)));
  msg = message_of<UserError>(
      [&] { c.transaction([](PgTxn& t) { t.exec("CREATE TABLE x (a INTEGER)"); }); });
  EXPECT_NE(msg.find("permission denied for schema public"), std::string::npos) << msg;
  EXPECT_NE(msg.find("GRANT"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(s.noperm_password()), std::string::npos) << msg;
  // The connection stays usable after the refused statement.
  EXPECT_EQ(count_rows(c, "pg_database"), count_rows(c, "pg_database"));
}

TEST(PgConnection, SqlErrorRollsBackTheWholeTransaction) {
  PgServer& s = PgServer::shared();
  const std::string db = s.fresh_database("rollback");
  PgConnection c(parse_pg_url(s.url(db)));
  c.exec_once("CREATE TABLE r (a INTEGER PRIMARY KEY)");
  EXPECT_THROW(c.transaction([](PgTxn& t) {
    t.exec("INSERT INTO r VALUES ($1)", {int64_t{1}});
    t.exec("INSERT INTO r VALUES ($1)", {int64_t{1}});  // unique violation
  }),
               PgSqlError);
  EXPECT_EQ(count_rows(c, "r"), 0);
  EXPECT_THROW(c.transaction([](PgTxn& t) {
    t.exec("INSERT INTO r VALUES ($1)", {int64_t{2}});
    throw RunError("the body's own failure");
  }),
               RunError);
  EXPECT_EQ(count_rows(c, "r"), 0);
}

TEST(PgConnection, NumbersRoundTripExactly) {
  PgServer& s = PgServer::shared();
  PgConnection c(parse_pg_url(s.url("postgres")));
  for (double v :
       std::vector<double>{0.1, -1e-300, 1.0 / 3.0, 12345678.123456789, NAN, INFINITY, -INFINITY}) {
    double back = 0;
    c.transaction([&](PgTxn& t) { back = t.exec("SELECT $1::float8", {v}).number(0, 0); });
    if (std::isnan(v))
      EXPECT_TRUE(std::isnan(back));
    else
      EXPECT_EQ(back, v);
  }
}

TEST(PgConnectionOutage, RestartedServerIsRetriedAndNothingIsHalfWritten) {
  PgServer server("restart");
  const std::string db = server.fresh_database("restart");
  PgConnection c(parse_pg_url(server.url(db)), PgRetryPolicy{30.0, 0.05, 0.5});
  c.exec_once("CREATE TABLE r (a INTEGER)");
  std::thread restarter;
  int attempts = 0;
  c.transaction([&](PgTxn& t) {
    ++attempts;
    t.exec("INSERT INTO r VALUES (1)");
    if (t.attempt() == 0) {
      // The server goes away mid-transaction (as after a crash) and is back a second later.
      server.halt(/*immediate=*/true);
      restarter = std::thread([&] {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        server.resume();
      });
    }
    t.exec("INSERT INTO r VALUES (2)");
  });
  restarter.join();
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(c.n_reconnects(), 1);
  EXPECT_EQ(count_rows(c, "r"), 2);  // the broken attempt's row 1 was rolled back
}

TEST(PgConnectionOutage, LongOutageEndsWithAClearUnavailableError) {
  PgServer server("longoutage");
  const std::string db = server.fresh_database("longoutage");
  PgConnection c(parse_pg_url(server.url(db)), PgRetryPolicy{1.5, 0.05, 0.5});
  c.exec_once("CREATE TABLE r (a INTEGER)");
  server.halt();
  const auto t0 = std::chrono::steady_clock::now();
  const std::string msg = message_of<UnavailableError>(
      [&] { c.transaction([](PgTxn& t) { t.exec("INSERT INTO r VALUES (1)"); }); });
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(waited, 1.4);
  EXPECT_LT(waited, 6.0);
  EXPECT_NE(msg.find("has been unreachable for"), std::string::npos) << msg;
  EXPECT_NE(msg.find("run the same command again"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(server.password()), std::string::npos) << msg;
  // Once the server is back, the same connection object works again.
  server.resume();
  EXPECT_EQ(count_rows(c, "r"), 0);
}
