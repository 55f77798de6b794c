// The PostgreSQL study storage against a real server: every field round-trips, Optuna 3.1
// reads chop's studies and chop resumes Optuna's, worker processes share one study (numbers
// unique, nothing lost or run twice), a worker killed with -9 is failed by heartbeat and its
// trial retried, and a search survives a short server outage and ends cleanly after a long one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

#include "common/forked_worker.h"
#include "common/pg_server.h"
#include "core/error.h"
#include "search/optuna_interop.h"
#include "search/sampler_registry.h"
#include "search/storages/postgres_connection.h"
#include "search/study.h"

using namespace chop;
using namespace chop::search;
using chop::testing::expect_optuna_sees;
using chop::testing::ForkedWorker;
using chop::testing::PgServer;
using chop::testing::run_optuna_script;
namespace fs = std::filesystem;

namespace {

std::vector<double> objective(Trial& t) {
  const double x = t.suggest_float("x", -3, 3);
  const auto k = t.suggest_int("k", 1, 64, 1, true);
  const auto c = t.suggest_categorical("c", {Json("relu"), Json(nullptr), Json(4)});
  for (int step = 0; step < 3; ++step) t.report(step, x * x / (step + 1));
  t.set_user_attr("sampled_config", {{"k", k}, {"c", c}});
  return {x * x + static_cast<double>(k)};
}

StudyOptions options(const std::string& url, const std::string& name, uint64_t seed,
                     const std::string& sampler = "random",
                     std::vector<Direction> dirs = {Direction::kMinimize}) {
  StudyOptions o;
  o.name = name;
  o.directions = std::move(dirs);
  o.storage = open_storage(url, /*server_retry_s=*/30);
  o.sampler = make_sampler(sampler, Json::object(), seed);
  return o;
}

OptimizeOptions n_trials(int64_t n) {
  OptimizeOptions o;
  o.n_trials = n;
  return o;
}

std::string sqlite_url(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("chop_pgtest_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path p = dir / (name + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p.string() + suffix);
  return "sqlite:///" + p.string();
}

// Runs `work(k)` in `n` forked processes; returns their exit codes (0 = success).
template <typename F>
std::vector<int> run_workers(int n, F&& work) {
  std::vector<pid_t> pids;
  for (int k = 0; k < n; ++k) {
    const pid_t pid = fork();
    if (pid == 0) {
      int rc = 0;
      try {
        work(k);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "worker %d: %s\n", k, e.what());
        rc = 3;
      }
      _exit(rc);
    }
    pids.push_back(pid);
  }
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

void expect_numbers_0_to(const std::vector<FrozenTrial>& trials, size_t n) {
  ASSERT_EQ(trials.size(), n);
  std::set<int64_t> numbers;
  for (const auto& t : trials) numbers.insert(t.number);
  EXPECT_EQ(numbers.size(), n);
  EXPECT_EQ(*numbers.begin(), 0);
  EXPECT_EQ(*numbers.rbegin(), static_cast<int64_t>(n) - 1);
}

// Four processes, 25 trials each, one study: 100 trials numbered 0-99 once each, all COMPLETE.
void four_workers_share_one_study(const std::string& url) {
  const auto codes = run_workers(4, [&](int k) {
    StudyOptions o = options(url, "shared", 100 + k, "tpe");
    Study s(o);
    s.optimize(objective, n_trials(25));
  });
  for (int c : codes) EXPECT_EQ(c, 0);
  Study s(options(url, "shared", 1));
  const auto trials = s.trials();
  expect_numbers_0_to(trials, 100);
  std::set<std::string> workers;
  for (const auto& t : trials) {
    EXPECT_EQ(t.state, TrialState::kComplete) << t.number;
    EXPECT_EQ(t.params.size(), 3u) << t.number;
    EXPECT_EQ(t.intermediate_values.size(), 3u) << t.number;
    workers.insert(t.system_attrs.value("chop:worker", std::string()));
  }
  EXPECT_EQ(workers.size(), 4u);
}

}  // namespace

TEST(PostgresStorage, TranslatesPlaceholders) {
  EXPECT_EQ(sql::to_dollar_placeholders("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2");
  EXPECT_EQ(sql::to_dollar_placeholders("x = ?1 AND ?2 = 0 AND y = ?1"),
            "x = $1 AND $2 = 0 AND y = $1");
}

TEST(PostgresStorage, RoundTripsEveryFieldAndOptunaReadsIt) {
  PgServer& server = PgServer::shared();
  const std::string url = server.url(server.fresh_database("roundtrip"));
  std::vector<FrozenTrial> before;
  {
    Study s(options(url, "rt", 3, "tpe", {Direction::kMinimize, Direction::kMaximize}));
    s.optimize(
        [](Trial& t) {
          return std::vector<double>{objective(t)[0], -INFINITY};
        },
        n_trials(5));
    Trial pruned = s.ask();
    pruned.suggest_float("x", -3, 3);
    pruned.report(0, NAN);
    s.tell(pruned.number(), TrialState::kPruned);
    Trial failed = s.ask();
    failed.set_user_attr("why", Json::array({1, "two", nullptr}));
    s.tell(failed.number(), TrialState::kFail);
    before = s.trials();
  }
  Study s(options(url, "rt", 3, "tpe", {Direction::kMinimize, Direction::kMaximize}));
  const auto after = s.trials();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(after[i].number, before[i].number);
    EXPECT_EQ(after[i].state, before[i].state);
    EXPECT_EQ(after[i].params, before[i].params);
    EXPECT_EQ(after[i].distributions, before[i].distributions);
    EXPECT_EQ(after[i].values, before[i].values);
    EXPECT_EQ(after[i].intermediate_values.size(), before[i].intermediate_values.size());
    EXPECT_EQ(after[i].user_attrs, before[i].user_attrs);
    EXPECT_EQ(after[i].datetime_start_ms, before[i].datetime_start_ms);
    EXPECT_EQ(after[i].datetime_complete_ms, before[i].datetime_complete_ms);
  }
  EXPECT_TRUE(std::isnan(after[5].intermediate_values.at(0)));
  const auto dump = nlohmann::json::parse(run_optuna_script("dump '" + url + "' rt"));
  EXPECT_EQ(dump["directions"], nlohmann::json({"MINIMIZE", "MAXIMIZE"}));
  expect_optuna_sees(after, dump);
}

TEST(PostgresStorage, ChopResumesAStudyOptunaCreated) {
  PgServer& server = PgServer::shared();
  const std::string url = server.url(server.fresh_database("optuna_made"));
  // Optuna creates the schema itself here (its enum types and all): chop joins it as it is.
  EXPECT_EQ(run_optuna_script("write '" + url + "' by_optuna 5 3"), "6\n");
  {
    Study s(options(url, "by_optuna", 5, "tpe"));
    ASSERT_EQ(s.n_trials(), 6u);
    expect_optuna_sees(s.trials(),
                       nlohmann::json::parse(run_optuna_script("dump '" + url + "' by_optuna")));
    EXPECT_EQ(s.optimize(objective, n_trials(4)).n_complete, 4);
  }
  EXPECT_EQ(run_optuna_script("append '" + url + "' by_optuna 2 4"), "12\n");
  Study s(options(url, "by_optuna", 6));
  const auto trials = s.trials();
  expect_numbers_0_to(trials, 12);
  expect_optuna_sees(trials,
                     nlohmann::json::parse(run_optuna_script("dump '" + url + "' by_optuna")));
}

TEST(PostgresStorage, FourWorkerProcessesShareOneStudy) {
  PgServer& server = PgServer::shared();
  four_workers_share_one_study(server.url(server.fresh_database("four")));
}

TEST(SqliteStorage, FourWorkerProcessesShareOneStudy) {
  four_workers_share_one_study(sqlite_url("four"));
}

TEST(PostgresStorage, StudyTrialCapHoldsAcrossWorkers) {
  PgServer& server = PgServer::shared();
  const std::string url = server.url(server.fresh_database("cap"));
  const auto codes = run_workers(3, [&](int k) {
    Study s(options(url, "capped", 10 + k));
    OptimizeOptions o;
    o.max_trials_in_study = 20;  // the study's total, whoever runs them
    s.optimize(objective, o);
  });
  for (int c : codes) EXPECT_EQ(c, 0);
  Study s(options(url, "capped", 1));
  expect_numbers_0_to(s.trials(), 20);
}

namespace {

// Three workers fill a 24-trial study; one is killed with -9 mid-trial.
void killed_worker_is_failed_by_heartbeat(const std::string& url) {
  auto worker_options = [&](uint64_t seed) {
    StudyOptions o = options(url, "heartbeat", seed);
    o.heartbeat_interval_s = 0.2;
    o.grace_period_s = 1.0;
    o.retry_failed = 1;
    return o;
  };
  OptimizeOptions opts;
  opts.max_trials_in_study = 24;
  // The victim's trials take a minute; the survivors' take 20 ms. The victim says (a pipe) when
  // its first trial is running, however long a loaded machine or a sanitizer build takes to get
  // there; the survivors start then, and it is killed while all three run, so only its stopped
  // heartbeat tells the others (not a dead pid).
  ForkedWorker victim([&](const ForkedWorker::Reached& running) {
    Study s(worker_options(7));
    s.optimize(
        [&](Trial& t) {
          objective(t);
          running();
          std::this_thread::sleep_for(std::chrono::seconds(60));
          return std::vector<double>{1.0};
        },
        opts);
  });
  const bool victim_running = victim.wait_reached();
  ASSERT_TRUE(victim_running) << "the victim worker never started a trial";
  // The killer is a process, not a thread: forking the survivors while a thread of this process
  // starts up can hand a child a held allocator lock (seen as a hang under ASan).
  const pid_t killer = fork();
  if (killer == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // the survivors are running
    kill(victim.pid(), SIGKILL);
    _exit(0);
  }
  // The survivors fill the study, then wait for the victim's trial: failed once its heartbeat
  // is older than the grace period, re-queued, and run by one of them.
  const auto codes = run_workers(2, [&](int k) {
    Study s(worker_options(20 + k));
    s.optimize(
        [](Trial& t) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          return objective(t);
        },
        opts);
  });
  waitpid(killer, nullptr, 0);
  victim.reap();
  for (int c : codes) EXPECT_EQ(c, 0);
  Study s(options(url, "heartbeat", 1));
  const auto trials = s.trials();
  expect_numbers_0_to(trials, 25);  // 24 + the retry
  int n_fail = 0;
  int64_t killed = -1;
  for (const auto& t : trials) {
    if (t.state == TrialState::kFail) {
      ++n_fail;
      killed = t.number;
      EXPECT_NE(t.system_attrs.value("fail_reason", std::string()).find("no heartbeat"),
                std::string::npos);
    } else {
      EXPECT_EQ(t.state, TrialState::kComplete) << t.number;
    }
  }
  ASSERT_EQ(n_fail, 1);
  // The retry is usually the last trial, but a loaded machine can let the survivors see the
  // stale heartbeat before the study is full: find it by what it retries, not by position.
  std::vector<const FrozenTrial*> retries;
  for (const auto& t : trials)
    if (t.system_attrs.value("failed_trial", int64_t{-1}) == killed) retries.push_back(&t);
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0]->params, trials[static_cast<size_t>(killed)].params);
  EXPECT_EQ(retries[0]->state, TrialState::kComplete);
}

}  // namespace

TEST(PostgresStorage, KilledWorkerIsFailedByHeartbeatAndItsTrialRetried) {
  PgServer& server = PgServer::shared();
  killed_worker_is_failed_by_heartbeat(server.url(server.fresh_database("kill9")));
}

TEST(SqliteStorage, KilledWorkerIsFailedByHeartbeatAndItsTrialRetried) {
  killed_worker_is_failed_by_heartbeat(sqlite_url("kill9"));
}

namespace {

// Three bruteforce workers on one 16-configuration study: each configuration is claimed before
// it is evaluated, so 16 evaluations in all. With the space declared (as chop's search does),
// each trial is created holding its claim: 16 trials, none waiting for another's result.
void each_configuration_evaluated_once(const std::string& url, bool declared) {
  const auto codes = run_workers(3, [&](int k) {
    StudyOptions o = options(url, "claims", 40 + k, "bruteforce");
    Study s(o);
    if (declared)
      s.declare_search_space(
          {{"a", Distribution::make_int(0, 3)},
           {"b", Distribution::make_categorical({Json("x"), Json("y"), Json(1), Json(2)})}});
    OptimizeOptions oo;
    oo.n_trials = 40;
    s.optimize(
        [](Trial& t) {
          const auto a = t.suggest_int("a", 0, 3);
          const Json b = t.suggest_categorical("b", {Json("x"), Json("y"), Json(1), Json(2)});
          t.set_user_attr("evaluated_by", static_cast<int64_t>(getpid()));  // claims here
          std::this_thread::sleep_for(std::chrono::milliseconds(30));
          return std::vector<double>{static_cast<double>(a) + (b.is_string() ? 0.5 : 0.0)};
        },
        oo);
  });
  for (int c : codes) EXPECT_EQ(c, 0);
  Study s(options(url, "claims", 1));
  std::set<std::string> evaluated;
  int n_evaluations = 0;
  for (const auto& t : s.trials()) {
    EXPECT_NE(t.state, TrialState::kFail) << t.number;
    if (t.state != TrialState::kComplete || t.system_attrs.contains("reused_from")) continue;
    ++n_evaluations;
    evaluated.insert(t.params_json().dump());
  }
  EXPECT_EQ(n_evaluations, 16);
  EXPECT_EQ(evaluated.size(), 16u);
  if (declared) {
    EXPECT_EQ(s.trials().size(), 16u);
    for (const auto& t : s.trials()) EXPECT_FALSE(t.system_attrs.contains("reused_from"));
  }
}

}  // namespace

TEST(PostgresStorage, EachConfigurationIsEvaluatedOnceAcrossWorkers) {
  PgServer& server = PgServer::shared();
  each_configuration_evaluated_once(server.url(server.fresh_database("claims")), true);
}

TEST(SqliteStorage, EachConfigurationIsEvaluatedOnceAcrossWorkers) {
  each_configuration_evaluated_once(sqlite_url("claims"), true);
}

TEST(SqliteStorage, EachConfigurationIsEvaluatedOnceWhenTheSpaceIsLearnt) {
  // No declared space: configurations are claimed when evaluation starts; repeats wait.
  each_configuration_evaluated_once(sqlite_url("claims_learnt"), false);
}

TEST(SqliteStorage, WorkerTakenForDeadGoesOnWithItsNextTrial) {
  // Worker 0 beats only when a trial starts and its trials take 0.8 s; worker 1 gives up on a
  // trial after 0.3 s without a heartbeat. Worker 0 finds each of its trials failed when it
  // finishes it: it keeps the stored FAIL, drops its result and goes on, without hanging.
  const std::string url = sqlite_url("taken");
  const auto codes = run_workers(2, [&](int k) {
    StudyOptions o = options(url, "taken", 30 + k);
    o.heartbeat_interval_s = k == 0 ? 30.0 : 0.1;
    o.grace_period_s = 0.3;
    Study s(o);
    const OptimizeSummary sum = s.optimize(
        [k](Trial& t) {
          std::this_thread::sleep_for(std::chrono::milliseconds(k == 0 ? 800 : 50));
          return objective(t);
        },
        n_trials(k == 0 ? 3 : 100));
    if (k == 0 && sum.n_failed != 3) throw RunError("worker 0 kept a stolen trial");
  });
  for (int c : codes) EXPECT_EQ(c, 0);
  Study s(options(url, "taken", 1));
  const auto trials = s.trials();
  expect_numbers_0_to(trials, 103);
  int n_fail = 0;
  for (const auto& t : trials) n_fail += t.state == TrialState::kFail;
  EXPECT_EQ(n_fail, 3);
}

TEST(PostgresOutage, SearchSurvivesAShortOutageAndEndsCleanlyAfterALongOne) {
  PgServer server("study_outage");
  const std::string url = server.url(server.fresh_database("outage"));
  auto slow = [](Trial& t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return objective(t);
  };
  {
    StudyOptions o = options(url, "outage", 9);
    o.storage = open_storage(url, /*server_retry_s=*/20);
    Study s(o);
    std::thread outage([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      server.halt(/*immediate=*/true);  // as a crash or a network cut
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      server.resume();
    });
    const OptimizeSummary sum = s.optimize(slow, n_trials(30));
    outage.join();
    EXPECT_EQ(sum.n_complete, 30);
  }
  {
    StudyOptions o = options(url, "outage", 10);
    o.storage = open_storage(url, /*server_retry_s=*/1.5);
    Study s(o);
    std::thread outage([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      server.halt();
    });
    try {
      s.optimize(slow, n_trials(30));
      ADD_FAILURE() << "expected UnavailableError";
    } catch (const UnavailableError& e) {
      EXPECT_NE(std::string(e.what()).find("has been unreachable"), std::string::npos);
      EXPECT_EQ(std::string(e.what()).find(server.password()), std::string::npos);
    }
    outage.join();
  }
  // Back up, the study resumes: every trial committed before the outage is there, complete.
  server.resume();
  Study s(options(url, "outage", 11));
  const auto trials = s.trials();
  int64_t complete = 0;
  for (const auto& t : trials) complete += t.state == TrialState::kComplete;
  EXPECT_GE(complete, 31);
  expect_numbers_0_to(trials, trials.size());
  s.optimize(objective, n_trials(2));
  EXPECT_EQ(s.trials({TrialState::kComplete}).size(), static_cast<size_t>(complete + 2));
}
