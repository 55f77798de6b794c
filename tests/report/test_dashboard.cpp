// The live dashboard: served over real HTTP while a search writes trials from another thread
// (two fetches show a growing trial count), read-only, loopback unless the host is chosen.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/error.h"
#include "report/dashboard.h"
#include "synthetic.h"

using namespace chop;
using namespace chop::report;
using chop::testing::temp_dir;

namespace {

// Serves a dashboard on a free loopback port for the test's lifetime.
struct Served {
  explicit Served(DashboardOptions o) : dashboard(std::move(o)) {
    port = dashboard.bind();
    thread = std::thread([this] { dashboard.serve(); });
  }
  ~Served() {
    dashboard.stop();
    thread.join();
  }
  Dashboard dashboard;
  int port = 0;
  std::thread thread;
};

Json get_json(httplib::Client& c, const std::string& path) {
  auto res = c.Get(path.c_str());
  if (!res || res->status != 200) return nullptr;
  return Json::parse(res->body);
}

}  // namespace

TEST(Dashboard, TwoFetchesWhileASearchRunsShowAGrowingTrialCount) {
  const std::string db = temp_dir("dash") + "/study.db";
  std::atomic<bool> stop{false};
  search::StudyOptions so;
  so.name = "watched";
  so.directions = {search::Direction::kMaximize, search::Direction::kMinimize};
  so.storage = search::open_sqlite_storage(db);
  search::Study study(so);  // the study exists before the dashboard starts
  std::thread search_thread([&] {
    search::OptimizeOptions oo;
    oo.n_trials = 400;
    oo.callbacks.push_back([&](search::Study& s, const search::FrozenTrial&) {
      if (stop) s.stop();
    });
    study.optimize(
        [](search::Trial& t) -> std::vector<double> {
          const double x = t.suggest_float("x", 0, 1);
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          return {x, x * x};
        },
        oo);
  });

  DashboardOptions o;
  o.storage_url = db;
  o.port = 0;
  Served served(o);
  httplib::Client client("127.0.0.1", served.port);
  // Wait for a first finished trial, then for more: the count grows between two fetches.
  auto finished = [&] {
    Json s = get_json(client, "/api/state");
    return s.is_null() ? int64_t{-1} : s["n_finished"].get<int64_t>();
  };
  int64_t first = -1;
  for (int i = 0; i < 200 && first < 1; ++i) {
    first = finished();
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_GE(first, 1);
  int64_t second = first;
  for (int i = 0; i < 200 && second <= first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    second = finished();
  }
  EXPECT_GT(second, first);
  const Json state = get_json(client, "/api/state");
  EXPECT_EQ(state["study"], "watched");

  // The page and the model: the report's views, in live mode.
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("chopReport.start("), std::string::npos);
  EXPECT_NE(page->body.find("\"state_url\":\"api/state\""), std::string::npos);
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-store");
  const Json model = get_json(client, "/api/report");
  EXPECT_EQ(model["title"], "Study watched");
  EXPECT_GE(model["state"]["n_trials"].get<int64_t>(), second);

  // Read-only: nothing but GET.
  auto post = client.Post("/api/report", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  auto del = client.Delete("/api/state");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  auto missing = client.Get("/etc/passwd");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  stop = true;
  search_thread.join();
}

TEST(Dashboard, WaitsForAStudyThatDoesNotExistYet) {
  const std::string db = temp_dir("dash_wait") + "/study.db";
  search::open_sqlite_storage(db);  // an empty study file
  DashboardOptions o;
  o.storage_url = db;
  o.study = "later";
  Dashboard d(o);
  EXPECT_EQ(d.state()["signature"], "waiting");
  EXPECT_NE(d.report_model()["notes"].dump().find("No study 'later'"), std::string::npos);
  search::StudyOptions so;
  so.name = "later";
  so.storage = search::open_sqlite_storage(db);
  search::Study study(so);
  study.tell(study.ask().number(), {1.0});
  EXPECT_EQ(d.state()["n_trials"], 1);
  EXPECT_EQ(d.report_model()["title"], "Study later");
}

TEST(Dashboard, LoopbackUnlessTheHostIsChosenAndClearErrors) {
  const std::string db = temp_dir("dash_host") + "/study.db";
  search::open_sqlite_storage(db);
  DashboardOptions o;
  o.storage_url = db;
  o.port = 0;
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("192.168.1.4"));
  o.host = "0.0.0.0";
  try {
    Dashboard d(o);
    FAIL() << "a non-loopback host without --host was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--host"), std::string::npos) << e.what();
  }
  o.host_given = true;  // the user asked for it
  {
    Dashboard d(o);
    EXPECT_GT(d.bind(), 0);
  }
  // A taken port is a clear error.
  o.host = "127.0.0.1";
  o.host_given = false;
  Served first(o);
  o.port = first.port;
  Dashboard second(o);
  try {
    second.bind();
    FAIL() << "bound a port that is in use";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--port"), std::string::npos) << e.what();
  }
  o.port = 70000;
  EXPECT_THROW(Dashboard{o}, UserError);
  o.port = 0;
  o.storage_url = temp_dir("dash_none") + "/missing.db";
  EXPECT_THROW(Dashboard{o}, DataError);
}
