// `chop report` and `chop dashboard` end to end: the report of a finished multi-objective
// `chop search` renders in headless Chromium with one Pareto mark per trial (screenshot in
// build/test-artifacts/), and the dashboard serves a search while it runs.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/background_chop.h"
#include "common/chromium.h"
#include "common/run_chop.h"
#include "common/search_dir.h"
#include "core/strings.h"

namespace chop {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// MASE's lab-3 search (accuracy up, average bit width down) on jsc-tiny.
const char* kSearch = R"(
model = "jsc-tiny"
dataset = "jsc"
batch_size = 512
seed = 42
[search.search_space]
name = "graph/quantize/mixed_precision_ptq"
[search.search_space.setup]
by = "name"
[search.search_space.seed.default.config]
name = ["NA"]
[search.search_space.seed.seq_blocks_2.config]
name = ["integer"]
data_in_width = [4, 8]
data_in_frac_width = ["NA"]
weight_width = [2, 4, 8]
weight_frac_width = ["NA"]
bias_width = [2, 4, 8]
bias_frac_width = ["NA"]
[search.strategy]
eval_mode = true
[search.strategy.sw_runner.basic_evaluation]
num_samples = 512
[search.strategy.hw_runner.average_bitwidth]
compare_to = 32
[search.strategy.setup]
n_trials = N_TRIALS
sampler = "SAMPLER"
sum_scaled_metrics = false
[search.strategy.metrics]
accuracy.scale = 1.0
accuracy.direction = "maximize"
average_bitwidth.scale = 0.2
average_bitwidth.direction = "minimize"
)";

std::string search_config(const std::string& sampler, int n_trials) {
  return replace_all(replace_all(kSearch, "SAMPLER", sampler), "N_TRIALS",
                     std::to_string(n_trials));
}

}  // namespace

TEST(CliReport, AMultiObjectiveSearchsReportRendersInChromium) {
  ASSERT_FALSE(testing::find_chromium().empty()) << "bash scripts/setup.sh installs chromium";
  testing::SearchDir d("report_e2e");
  auto search = testing::run_chop(d.args(d.write(search_config("nsgaii", 24))));
  ASSERT_EQ(search.exit_code, 0) << search.output;
  const std::string db = d.ckpts() + "/study.db";
  const std::string out = (d.dir / "report").string();
  auto r = testing::run_chop("report --storage " + db + " --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Report of study 'p' (24 trials): " + out + "/report.html"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("SVG files in " + out + "/plots"), std::string::npos) << r.output;
  for (const char* svg :
       {"history", "hypervolume", "pareto", "importance", "slice", "parallel", "hardware"})
    EXPECT_TRUE(fs::exists(out + "/plots/" + svg + ".svg")) << svg;
  // The study database was only read.
  EXPECT_FALSE(fs::exists(out + "/study.db"));

  const std::string shot = std::string(CHOP_BINARY_DIR) + "/test-artifacts/report-search.png";
  fs::remove(shot);
  const testing::BrowserPage page = testing::load_page(out + "/report.html", shot);
  ASSERT_EQ(page.exit_code, 0) << page.log;
  std::string console;
  for (const auto& line : page.console) console += line + "\n";
  EXPECT_TRUE(page.console.empty()) << console;
  const std::string body = testing::body_tag(page.dom, "<pre id=\"chop-errors\"");
  EXPECT_NE(body.find("data-chop-rendered=\"ok\""), std::string::npos) << body;
  EXPECT_EQ(body.find("data-chop-errors"), std::string::npos) << body;
  // Every trial of this search completed: the Pareto plot has one mark per trial.
  const std::string marks = testing::element_with(page.dom, "trials_marks");
  ASSERT_FALSE(marks.empty());
  EXPECT_EQ(testing::count_of(marks, "<path"), 24u);
  EXPECT_TRUE(fs::exists(shot));

  // Without --output the report lands next to the study database, as `chop search` leaves it.
  r = testing::run_chop("report " + db);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(d.ckpts() + "/report.html"));
}

TEST(CliReport, MistakesGetClearMessages) {
  testing::SearchDir d("report_errors");
  auto r = testing::run_chop("report");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("needs --storage"), std::string::npos) << r.output;
  r = testing::run_chop("report --storage " + (d.dir / "none.db").string());
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("no such study database"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d.dir / "none.db"));
  r = testing::run_chop("report --storage memory");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  const std::string junk = d.write("this is not a database", "junk.db");
  r = testing::run_chop("report --storage " + junk);
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find(junk), std::string::npos) << r.output;
  ASSERT_EQ(testing::run_chop(d.args(d.write(search_config("random", 3)))).exit_code, 0);
  r = testing::run_chop("report --storage " + d.ckpts() + "/study.db --study q");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no study 'q'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean 'p'"), std::string::npos) << r.output;
  for (const auto& out : {r.output}) EXPECT_FALSE(testing::looks_like_crash(out)) << out;
}

TEST(CliDashboard, ServesASearchWhileItRunsWithAGrowingTrialCount) {
  testing::SearchDir d("dashboard_e2e");
  // A search that runs until stopped (random sampling on jsc-toy, duplicates reused).
  std::string cfg = replace_all(search_config("random", 100000), "jsc-tiny", "jsc-toy");
  testing::BackgroundChop search(d.args(d.write(cfg)), (d.dir / "search.log").string());
  ASSERT_TRUE(search.wait_for("[trial 2/", 120)) << search.output();
  const std::string db = d.ckpts() + "/study.db";
  testing::BackgroundChop dashboard("dashboard --storage " + db + " --port 0",
                                    (d.dir / "dashboard.log").string());
  ASSERT_TRUE(dashboard.wait_for("(read-only; Ctrl-C stops)", 60)) << dashboard.output();
  std::smatch m;
  const std::string line = dashboard.output();
  ASSERT_TRUE(std::regex_search(line, m, std::regex("http://127\\.0\\.0\\.1:(\\d+)/"))) << line;
  httplib::Client client("127.0.0.1", std::stoi(m[1]));
  auto n_trials = [&] {
    auto res = client.Get("/api/state");
    return res && res->status == 200 ? Json::parse(res->body)["n_trials"].get<int64_t>() : -1;
  };
  const int64_t first = n_trials();
  ASSERT_GE(first, 2);
  int64_t second = first;
  for (int i = 0; i < 100 && second <= first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    second = n_trials();
  }
  EXPECT_GT(second, first) << "the dashboard did not see the running search add trials";
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("Study p"), std::string::npos);
  auto post = client.Post("/api/state", "", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);

  EXPECT_EQ(search.interrupt(), 130) << search.output();
  EXPECT_EQ(dashboard.interrupt(), 0) << dashboard.output();
  EXPECT_NE(dashboard.output().find("chop dashboard stopped"), std::string::npos);
}

TEST(CliDashboard, LoopbackByDefaultAnotherHostOnlyWhenNamed) {
  testing::SearchDir d("dashboard_flags");
  ASSERT_EQ(testing::run_chop(d.args(d.write(search_config("random", 2)))).exit_code, 0);
  const std::string db = d.ckpts() + "/study.db";
  auto r = testing::run_chop("dashboard --storage " + db + " --port abc");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--port 'abc'"), std::string::npos) << r.output;
  r = testing::run_chop("dashboard --storage " + (d.dir / "none.db").string());
  EXPECT_EQ(r.exit_code, 4) << r.output;
  {
    testing::BackgroundChop local("dashboard --storage " + db + " --port 0",
                                  (d.dir / "local.log").string());
    ASSERT_TRUE(local.wait_for("Ctrl-C stops", 60)) << local.output();
    EXPECT_NE(local.output().find("http://127.0.0.1:"), std::string::npos) << local.output();
    EXPECT_EQ(local.interrupt(), 0);
  }
  testing::BackgroundChop open("dashboard --storage " + db + " --port 0 --host 0.0.0.0",
                               (d.dir / "open.log").string());
  ASSERT_TRUE(open.wait_for("Ctrl-C stops", 60)) << open.output();
  EXPECT_NE(open.output().find("anyone who can reach this machine"), std::string::npos)
      << open.output();
  EXPECT_NE(open.output().find("http://0.0.0.0:"), std::string::npos) << open.output();
  EXPECT_EQ(open.interrupt(), 0);
}

}  // namespace chop
