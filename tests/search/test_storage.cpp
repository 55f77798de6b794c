// Storages: SQLite round trip, resume after a killed process, two writers on one study file,
// and Optuna 3.x reading chop's study file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>
#include <thread>

#include "common/fresh_db.h"
#include "core/error.h"
#include "core/strings.h"
#include "search/sampler_registry.h"
#include "search/storages/rdb_values.h"
#include "search/study.h"

using namespace chop;
using namespace chop::search;
namespace fs = std::filesystem;

namespace {

std::string temp_db(const std::string& name) {
  return chop::testing::fresh_db("chop_search_test", name);
}

StudyOptions sqlite_opts(const std::string& path, const std::string& name, uint64_t seed,
                         std::vector<Direction> dirs = {Direction::kMinimize}) {
  StudyOptions o;
  o.name = name;
  o.directions = std::move(dirs);
  o.storage = open_sqlite_storage(path);
  o.sampler = make_sampler("random", Json::object(), seed);
  return o;
}

std::vector<double> objective(Trial& t) {
  const double x = t.suggest_float("x", -3, 3);
  const auto k = t.suggest_int("k", 1, 64, 1, true);
  const auto c = t.suggest_categorical("c", {Json("relu"), Json(nullptr), Json(4)});
  for (int step = 0; step < 3; ++step) t.report(step, x * x / (step + 1));
  t.set_user_attr("sampled_config", {{"k", k}, {"c", c}});
  return {x * x + static_cast<double>(k)};
}

OptimizeOptions n(int64_t n_trials, int n_jobs = 1) {
  OptimizeOptions o;
  o.n_trials = n_trials;
  o.n_jobs = n_jobs;
  return o;
}

}  // namespace

nlohmann::json unordered(const Json& attrs) {
  return nlohmann::json::parse(attrs.dump());
}

TEST(SqliteStorage, RoundTripsEveryTrialField) {
  const std::string path = temp_db("roundtrip");
  std::vector<FrozenTrial> before;
  {
    Study s(sqlite_opts(path, "rt", 1, {Direction::kMinimize, Direction::kMaximize}));
    s.optimize([](Trial& t) { return std::vector<double>{objective(t)[0], INFINITY}; }, n(6));
    Trial fail = s.ask();
    fail.suggest_float("x", -3, 3);
    s.tell(fail.number(), TrialState::kFail);
    before = s.trials();
  }
  Study s(sqlite_opts(path, "rt", 1, {Direction::kMinimize, Direction::kMaximize}));
  const auto after = s.trials();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].number, before[i].number);
    EXPECT_EQ(after[i].state, before[i].state);
    EXPECT_EQ(after[i].params, before[i].params);
    EXPECT_EQ(after[i].params_json(), before[i].params_json());
    EXPECT_EQ(after[i].values, before[i].values);
    EXPECT_EQ(after[i].intermediate_values, before[i].intermediate_values);
    // Attribute order is not stored (a rewritten attribute gets a new row): compare as maps.
    EXPECT_EQ(unordered(after[i].user_attrs), unordered(before[i].user_attrs));
    EXPECT_EQ(unordered(after[i].system_attrs), unordered(before[i].system_attrs));
    EXPECT_EQ(after[i].datetime_start_ms, before[i].datetime_start_ms);
    EXPECT_EQ(after[i].datetime_complete_ms, before[i].datetime_complete_ms);
  }
  EXPECT_THROW(Study(sqlite_opts(path, "rt", 1, {Direction::kMaximize})), UserError);
}

TEST(SqliteStorage, KilledSearchResumesWithEveryFinishedTrial) {
  const std::string path = temp_db("resume");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child runs 5 trials, then dies in the middle of the sixth (no cleanup, no flush).
    try {
      Study s(sqlite_opts(path, "resume", 3));
      s.optimize(
          [](Trial& t) {
            auto v = objective(t);
            if (t.number() == 5) _exit(0);
            return v;
          },
          n(100));
    } catch (...) {
      _exit(2);
    }
    _exit(1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  Study s(sqlite_opts(path, "resume", 3));
  EXPECT_EQ(s.failed_on_resume(), std::vector<int64_t>{5});
  const auto trials = s.trials();
  ASSERT_EQ(trials.size(), 6u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(trials[i].state, TrialState::kComplete);
    EXPECT_EQ(trials[i].params.size(), 3u);
    EXPECT_EQ(trials[i].intermediate_values.size(), 3u);
    EXPECT_TRUE(trials[i].user_attrs.contains("sampled_config"));
    EXPECT_DOUBLE_EQ(trials[i].values.at(0),
                     std::pow(trials[i].params.at("x"), 2) + trials[i].params.at("k"));
  }
  EXPECT_EQ(trials[5].state, TrialState::kFail);
  // The search goes on with new numbers; the reseeded stream of trial n does not change.
  s.optimize(objective, n(3));
  EXPECT_EQ(s.n_trials(), 9u);
  EXPECT_EQ(s.trials({TrialState::kComplete}).size(), 8u);
}

TEST(SqliteStorage, TwoProcessesShareOneStudy) {
  const std::string path = temp_db("two_procs");
  { Study init(sqlite_opts(path, "shared", 0)); }
  std::vector<pid_t> children;
  for (int w = 0; w < 2; ++w) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        Study s(sqlite_opts(path, "shared", 100 + w));
        s.optimize(objective, n(25));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "worker %d: %s\n", w, e.what());
        _exit(2);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  Study s(sqlite_opts(path, "shared", 0));
  const auto trials = s.trials();
  ASSERT_EQ(trials.size(), 50u);
  std::set<int64_t> ids;
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<int64_t>(i));
    EXPECT_EQ(trials[i].state, TrialState::kComplete);
    ids.insert(trials[i].trial_id);
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST(SqliteStorage, TwoStudyObjectsInThreadsSeeEachOther) {
  const std::string path = temp_db("two_threads");
  Study a(sqlite_opts(path, "threads", 1));
  Study b(sqlite_opts(path, "threads", 2));
  std::thread ta([&] { a.optimize(objective, n(30)); });
  std::thread tb([&] { b.optimize(objective, n(30)); });
  ta.join();
  tb.join();
  EXPECT_EQ(a.n_trials(), 60u);
  EXPECT_EQ(b.trials({TrialState::kComplete}).size(), 60u);
  EXPECT_TRUE(a.failed_on_resume().empty());
  EXPECT_TRUE(b.failed_on_resume().empty());
}

// A lone reader skips re-reading its own writes (PRAGMA data_version); two Study objects on one
// connection must still see each other's trials, and a second connection's commits must show.
TEST(SqliteStorage, SharedConnectionAndSecondConnectionBothSeeNewTrials) {
  const std::string path = temp_db("shared_connection");
  StudyOptions oa = sqlite_opts(path, "shared_conn", 1);
  StudyOptions ob = oa;
  ob.sampler = make_sampler("random", Json::object(), 2);
  Study a(oa);
  Study b(ob);  // same storage object, same connection
  a.optimize(objective, n(3));
  EXPECT_EQ(b.trials({TrialState::kComplete}).size(), 3u);
  b.optimize(objective, n(2));
  EXPECT_EQ(a.trials({TrialState::kComplete}).size(), 5u);

  Study c(sqlite_opts(path, "shared_conn", 3));  // its own connection
  EXPECT_EQ(c.n_trials(), 5u);
  a.optimize(objective, n(1));
  EXPECT_EQ(c.trials({TrialState::kComplete}).size(), 6u);
  c.optimize(objective, n(1));
  EXPECT_EQ(a.trials({TrialState::kComplete}).size(), 7u);
  EXPECT_EQ(b.trials({TrialState::kComplete}).size(), 7u);
}

// A write that finds its trial failed by another worker reads the whole study to adopt the
// stored trial. Everything that read brought in must be taken in too: the next sync skips its
// read when the file has not changed since the last one, so it would miss other workers' trials.
TEST(SqliteStorage, TrialFinishedElsewhereKeepsOtherWorkersTrialsInView) {
  const std::string path = temp_db("finished_elsewhere");
  StudyOptions oa = sqlite_opts(path, "elsewhere", 1);
  oa.heartbeat_interval_s = 30.0;  // beats when its trial starts, then not for 30 s
  Study a(oa);
  Trial t = a.ask();
  t.suggest_float("x", -3, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  StudyOptions ob = sqlite_opts(path, "elsewhere", 2);
  ob.heartbeat_interval_s = 0.1;
  ob.grace_period_s = 0.2;  // a's trial, silent for 0.4 s, counts as its worker's death
  Study b(ob);
  b.optimize(objective, n(2));
  ASSERT_EQ(b.trial(t.number()).state, TrialState::kFail);
  EXPECT_THROW(a.tell(t.number(), {1.0}), RunError);
  EXPECT_EQ(a.trial(t.number()).state, TrialState::kFail);
  EXPECT_EQ(a.trials({TrialState::kComplete}).size(), 2u);
  EXPECT_EQ(a.n_trials(), 3u);
}

TEST(SqliteStorage, OptunaReadsTheStudyFile) {
  if (std::system("/usr/bin/python3 -c 'import optuna' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3-optuna not installed";
  const std::string path = temp_db("optuna_reads");
  double best = 0;
  {
    Study s(sqlite_opts(path, "for_optuna", 4));
    s.optimize(objective, n(5));
    best = s.best_trial().value();
  }
  const std::string cmd =
      "/usr/bin/python3 -c \"import optuna; optuna.logging.set_verbosity(optuna.logging.ERROR); "
      "s = optuna.load_study(study_name='for_optuna', storage='sqlite:///" +
      path + "'); print(len(s.trials), repr(s.best_value), sorted(s.best_params))\"";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[512] = {0};
  std::string out;
  while (fgets(buf, sizeof buf, p)) out += buf;
  ASSERT_EQ(pclose(p), 0) << out;
  EXPECT_EQ(out.substr(0, out.find('\n')), "5 " + format_double(best) + " ['c', 'k', 'x']") << out;
}

TEST(Storage, OpenStorageUrls) {
  EXPECT_EQ(open_storage("")->describe(), "in-memory");
  EXPECT_EQ(open_storage("memory")->describe(), "in-memory");
  const std::string path = temp_db("url");
  EXPECT_EQ(open_storage("sqlite:///" + path)->describe(), "sqlite:" + path);
  EXPECT_THROW(open_storage("mysql://x/db"), UserError);
  EXPECT_THROW(open_storage("postgresql://h:notaport/db"), UserError);  // malformed
  EXPECT_THROW(open_sqlite_storage("/nonexistent-dir/x/y.db"), DataError);
}

TEST(Storage, StudyIdFromNameFindsWithoutCreating) {
  const std::string path = temp_db("by_name");
  for (auto storage : {make_in_memory_storage(), open_sqlite_storage(path)}) {
    EXPECT_FALSE(storage->study_id_from_name("absent").has_value());
    const int64_t a = storage->create_or_load_study("a", {Direction::kMinimize}, true);
    const int64_t b =
        storage->create_or_load_study("b", {Direction::kMaximize, Direction::kMinimize}, true);
    EXPECT_EQ(storage->study_id_from_name("a"), a);
    EXPECT_EQ(storage->study_id_from_name("b"), b);
    EXPECT_FALSE(storage->study_id_from_name("absent").has_value());
    EXPECT_EQ(storage->study_names().size(), 2u);  // the lookups created nothing
  }
}

TEST(RdbValues, DatetimesRoundTripWithAnyNumberOfFractionDigits) {
  const int64_t ms = 1700000000123;
  const std::string text = rdb::format_datetime(ms);  // "....:20.123000" (Optuna's form)
  EXPECT_EQ(rdb::parse_datetime(text.c_str()), ms);
  // PostgreSQL trims trailing zeros ("...:20.123"); no fraction at all is whole seconds.
  EXPECT_EQ(rdb::parse_datetime(text.substr(0, text.size() - 3).c_str()), ms);
  EXPECT_EQ(rdb::parse_datetime(text.substr(0, text.size() - 7).c_str()), ms - 123);
  EXPECT_EQ(rdb::parse_datetime(nullptr), 0);
  EXPECT_EQ(rdb::parse_datetime("not a date"), 0);
  EXPECT_EQ(rdb::format_datetime(0), "");
}

TEST(RdbValues, NaiveDatetimesCountCalendarDaysWithoutTimeZones) {
  // Heartbeat ages are differences of two texts of one clock, read as if UTC.
  EXPECT_EQ(rdb::naive_datetime_ms("1970-01-01 00:00:01.5"), 1500);
  EXPECT_EQ(
      rdb::naive_datetime_ms("2024-03-01 00:00:00") - rdb::naive_datetime_ms("2024-02-28 00:00:00"),
      2 * 86400000);  // a leap year
  EXPECT_EQ(
      rdb::naive_datetime_ms("2100-03-01 00:00:00") - rdb::naive_datetime_ms("2100-02-28 00:00:00"),
      86400000);  // a century that is not
  for (const int64_t ms : {int64_t{951782400000}, int64_t{1700000000123}, int64_t{4102444799999}}) {
    const auto secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    EXPECT_EQ(rdb::naive_datetime_ms(text), ms) << text;
  }
  EXPECT_EQ(rdb::naive_datetime_ms(nullptr), 0);
  EXPECT_EQ(rdb::naive_datetime_ms("not a date"), 0);
  // format_datetime reuses a second's text for the next call in that second, and only then.
  const int64_t base = 1700000000000;
  for (const int64_t ms : {base + 999, base + 1, base + 1000, base + 999})
    EXPECT_EQ(rdb::parse_datetime(rdb::format_datetime(ms).c_str()), ms);
}

TEST(RdbValues, NonFiniteValuesTravelAsValueTypes) {
  EXPECT_STREQ(rdb::value_type(1.5), "FINITE");
  EXPECT_TRUE(std::isnan(rdb::typed_value(rdb::value_type(NAN), 0.0)));
  EXPECT_EQ(rdb::typed_value(rdb::value_type(INFINITY), 0.0), INFINITY);
  EXPECT_EQ(rdb::typed_value(rdb::value_type(-INFINITY), 0.0), -INFINITY);
  EXPECT_EQ(rdb::typed_value(rdb::value_type(2.5), 2.5), 2.5);
}
