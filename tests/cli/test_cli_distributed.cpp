// Searches that outgrow one machine, end to end: several `chop search` processes on one study
// (PostgreSQL and SQLite), a server outage mid-search, studies copied between SQLite and
// PostgreSQL, and the connection mistakes — each one clear error without credentials.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli/quick_search_toml.h"
#include "common/pg_server.h"
#include "common/run_chop.h"
#include "common/search_dir.h"
#include "core/files.h"
#include "search/storage.h"
#include "search/study_admin.h"

namespace chop {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::PgServer;
using testing::quick_search_toml;
using testing::run_chop;
using testing::SearchDir;

std::string q(const std::string& s) {
  return "'" + s + "'";
}

// Starts `n` chop processes with `args(k)` at once; returns their exit codes.
std::vector<int> run_chops_together(int n, const std::function<std::string(int)>& args,
                                    const fs::path& dir) {
  std::string script = "cd " + q(dir.string()) + "\n";
  for (int k = 0; k < n; ++k)
    script += "(" + std::string(CHOP_BINARY_DIR) + "/chop " + args(k) + " > worker" +
              std::to_string(k) + ".log 2>&1 < /dev/null; echo $? > worker" + std::to_string(k) +
              ".rc) &\n";
  script += "wait\n";
  write_file_atomic((dir / "workers.sh").string(), script);
  EXPECT_EQ(std::system(("bash " + q((dir / "workers.sh").string())).c_str()), 0);
  std::vector<int> codes;
  for (int k = 0; k < n; ++k)
    codes.push_back(std::stoi(read_file((dir / ("worker" + std::to_string(k) + ".rc")).string())));
  return codes;
}

std::string worker_log(const fs::path& dir, int k) {
  return read_file((dir / ("worker" + std::to_string(k) + ".log")).string());
}

// Four `chop search` processes with n_trials = 100 on one study: 100 trials numbered 0-99,
// each once, all COMPLETE. (These trials take a millisecond, so the first worker up may run
// most of them; test_postgres_storage.cpp checks four busy workers interleaving.)
void four_chop_workers(const std::string& url, const std::string& tag) {
  SearchDir d(tag);
  const std::string toml = d.write(quick_search_toml(100, "shared"));
  const auto codes = run_chops_together(
      4, [&](int k) { return d.args(toml, "w" + std::to_string(k)) + " --storage " + q(url); },
      d.dir);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(codes[k], 0) << worker_log(d.dir, k);
  auto storage = search::open_storage(url);
  const auto study = search::find_study(*storage, "shared");
  const auto trials = search::load_study_trials(*storage, study);
  ASSERT_EQ(trials.size(), 100u);
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<int64_t>(i));
    EXPECT_EQ(trials[i].state, search::TrialState::kComplete) << i;
  }
  // Each worker's log.json lists the whole study (its own trials and the others').
  for (int k = 0; k < 4; ++k) EXPECT_EQ(d.log("w" + std::to_string(k)).size(), 100u);
}

}  // namespace

TEST(CliDistributed, FourWorkersShareAPostgresStudy) {
  PgServer& server = PgServer::shared();
  four_chop_workers(server.url(server.fresh_database("cli_four")), "dist_pg");
}

TEST(CliDistributed, FourWorkersShareAnSqliteStudy) {
  SearchDir shared("dist_sqlite_file");
  four_chop_workers("sqlite:///" + (shared.dir / "shared.db").string(), "dist_sqlite");
}

TEST(CliDistributed, CredentialsAreNeverPrintedOrWritten) {
  PgServer& server = PgServer::shared();
  const std::string db = server.fresh_database("cli_secret");
  SearchDir d("dist_secret");
  // The password in the TOML's storage URL, as a user might (docs recommend ~/.pgpass).
  const std::string toml =
      d.write(quick_search_toml(3, "secret", "storage = \"" + server.url(db) + "\"\n"));
  auto r = run_chop(d.args(toml));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("postgresql://chop@127.0.0.1:" + server.port() + "/" + db),
            std::string::npos)
      << r.output;
  for (const std::string& text :
       {r.output, read_file(d.ckpts() + "/log.json"), read_file(d.ckpts() + "/best.json")})
    EXPECT_EQ(text.find(server.password()), std::string::npos);
  // And from PGPASSFILE, with no password anywhere on the command line.
  const std::string pgpass = (d.dir / "pgpass").string();
  std::ofstream(pgpass) << server.pgpass_line();
  fs::permissions(pgpass, fs::perms::owner_read | fs::perms::owner_write);
  r = run_chop("study list --storage " + q(server.url(db, /*with_password=*/false)), "");
  EXPECT_NE(r.exit_code, 0);  // no password: refused, and the message says where to put it
  EXPECT_NE(r.output.find("~/.pgpass"), std::string::npos) << r.output;
  const std::string with_file = "PGPASSFILE=" + q(pgpass) + " " + std::string(CHOP_BINARY_DIR) +
                                "/chop study show --study secret --storage " +
                                q(server.url(db, false)) + " 2>&1";
  FILE* p = popen(with_file.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  EXPECT_NE(out.find("trials: 3 (3 complete)"), std::string::npos) << out;
  EXPECT_EQ(out.find(server.password()), std::string::npos) << out;
}

TEST(CliDistributed, ConnectionMistakesAreOneClearErrorEach) {
  PgServer& server = PgServer::shared();
  const std::string db = server.fresh_database("cli_mistakes");
  // A loopback port nobody listens on.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  const std::string closed = std::to_string(ntohs(a.sin_port));
  struct Case {
    std::string url;
    int exit_code;
    std::string expect, secret;
  };
  const std::vector<Case> cases = {
      {"postgresql://chop:Not-The-Password-1@127.0.0.1:" + server.port() + "/" + db, 2,
       "wrong password", "Not-The-Password-1"},
      {"postgresql://chop:Secret-Unreach-2@127.0.0.1:" + closed + "/" + db, 75,
       "cannot reach the study database", "Secret-Unreach-2"},
      {server.noperm_url(db), 2, "permission denied", server.noperm_password()},
  };
  SearchDir d("dist_mistakes");
  const std::string toml = d.write(quick_search_toml(2, "m"));
  for (const Case& c : cases) {
    for (const std::string& args :
         {d.args(toml) + " --storage " + q(c.url), "study list --storage " + q(c.url)}) {
      const auto r = run_chop(args);
      EXPECT_EQ(r.exit_code, c.exit_code) << args << "\n" << r.output;
      EXPECT_NE(r.output.find(c.expect), std::string::npos) << r.output;
      EXPECT_EQ(r.output.find(c.secret), std::string::npos) << r.output;
      EXPECT_FALSE(testing::looks_like_crash(r.output)) << r.output;
      int error_lines = 0;
      for (size_t at = r.output.find("error: "); at != std::string::npos;
           at = r.output.find("error: ", at + 1))
        ++error_lines;
      EXPECT_EQ(error_lines, 1) << r.output;
    }
  }
}

TEST(CliDistributed, StudiesMoveBetweenSqliteAndPostgres) {
  PgServer& server = PgServer::shared();
  const std::string pg = server.url(server.fresh_database("cli_copy"));
  SearchDir d("dist_copy");
  const fs::path local = d.dir / "local.db";
  auto r = run_chop(d.args(d.write(quick_search_toml(4))) + " --storage " + q(local.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_chop("study copy --storage " + q(local.string()) + " --study lab --to " + q(pg));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find(server.password()), std::string::npos) << r.output;
  // Optuna sees the copy on the server.
  const std::string dump_cmd = "/usr/bin/python3 '" + std::string(CHOP_SOURCE_DIR) +
                               "/tests/search/optuna_study.py' dump " + q(pg) + " lab";
  FILE* p = popen(dump_cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << out;
  EXPECT_EQ(Json::parse(out)["trials"].size(), 4u);
  // The shared study grows on the server, then comes back to a local file.
  r = run_chop(d.args(d.write(quick_search_toml(6)), "p2") + " --storage " + q(pg));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(4 already in study 'lab')"), std::string::npos) << r.output;
  const fs::path back = d.dir / "back.db";
  r = run_chop("study copy --storage " + q(pg) + " --study lab --to " + q(back.string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_chop("study list --storage " + q(back.string()));
  EXPECT_NE(r.output.find("6 complete"), std::string::npos) << r.output;
  r = run_chop("study delete --storage " + q(pg) + " --study lab --yes");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_chop("study list --storage " + q(pg));
  EXPECT_NE(r.output.find("No studies in postgresql://chop@"), std::string::npos) << r.output;
}

TEST(CliDistributed, SearchSurvivesAShortOutageEndsCleanlyAfterALongOneAndResumes) {
  PgServer server("cli_outage");
  const std::string db = server.fresh_database("cli_outage");
  const std::string url = server.url(db);
  SearchDir d("dist_outage");
  const std::string toml =
      d.write(quick_search_toml(400, "outage", "storage_retry_timeout = 3\n"), "long.toml");
  const std::string cmd = d.args(toml) + " --storage " + q(url);
  auto n_trials = [&] { return server.query_int("SELECT COUNT(*) FROM trials", db); };
  auto wait_for_trials = [&](int64_t n) {
    for (int i = 0; i < 600 && n_trials() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  };
  // A short outage (a crash and 1 s later a restart) mid-search: the worker waits and goes on.
  {
    std::thread outage([&] {
      wait_for_trials(5);
      server.halt(/*immediate=*/true);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      server.resume();
    });
    const auto r =
        run_chop(d.args(d.write(quick_search_toml(150, "outage"), "short.toml"), "short") +
                 " --storage " + q(url));
    outage.join();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("reconnected to the study database"), std::string::npos) << r.output;
  }
  // A long one: the worker gives up after storage_retry_timeout with exit code 75.
  const int64_t before = n_trials();
  std::thread outage([&] {
    wait_for_trials(before + 5);
    server.halt();
  });
  auto r = run_chop(cmd);
  outage.join();
  EXPECT_EQ(r.exit_code, 75) << r.output;
  EXPECT_NE(r.output.find("has been unreachable for"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("run the same command again"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(server.password()), std::string::npos) << r.output;
  EXPECT_FALSE(testing::looks_like_crash(r.output)) << r.output;
  // Back up: the same command resumes the study where it stopped.
  server.resume();
  const int64_t kept = n_trials();
  EXPECT_GE(kept, before + 5);
  r = run_chop(
      d.args(d.write(quick_search_toml(static_cast<int>(kept) + 3, "outage"), "again.toml")) +
      " --storage " + q(url));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("already in study 'outage'"), std::string::npos) << r.output;
}

}  // namespace chop
