// `chop report` and `chop dashboard` end to end: the report of a finished multi-objective
// `chop search` renders in headless Chromium with one Pareto mark per trial (screenshot in
// build/test-artifacts/), and the dashboard serves a search while it runs.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "cli/quick_search_toml.h"
#include "common/background_chop.h"
#include "common/chromium.h"
#include "common/run_chop.h"
#include "common/search_dir.h"
#include "core/files.h"
#include "core/strings.h"

namespace chop {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// MASE's lab-3 search (accuracy up, average bit width down) on jsc-tiny.
std::string search_config(const std::string& sampler, int n_trials) {
  testing::SearchToml s;
  s.by = "name";
  s.seeds = {{"seq_blocks_2", testing::integer_config("[2, 4, 8]", "[2, 4, 8]")}};
  s.data_loader = "";
  s.n_trials = n_trials;
  s.sampler = sampler;
  return s.text();
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

namespace chop {

TEST(CliSearchReport, ASearchWritesItsReportNextToLogJsonAndShowsRateAndEta) {
  testing::SearchDir d("search_report");
  auto r = testing::run_chop(d.args(d.write(search_config("tpe", 8))));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(d.ckpts() + "/report.html"));
  EXPECT_TRUE(fs::exists(d.ckpts() + "/plots/pareto.svg"));
  EXPECT_NE(r.output.find("Report: " + d.ckpts() + "/report.html"), std::string::npos) << r.output;
  // Not a terminal: a plain line per trial, with the rate and the time left.
  EXPECT_NE(r.output.find("[trial 8/8]"), std::string::npos) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("trials/s, ETA \\d+s"))) << r.output;
  // The study records what the report needs: objective names and the choice lists.
  const Json model = [&] {
    const std::string html = read_file(d.ckpts() + "/report.html");
    const size_t at = html.find("id=\"chop-model\">") + 16;
    return Json::parse(html.substr(at, html.find("</script>", at) - at));
  }();
  EXPECT_NE(model["facts"].dump().find("accuracy (maximize), average_bitwidth (minimize)"),
            std::string::npos);
  EXPECT_NE(model["table"]["columns"].dump().find("seq_blocks_2/config/weight_width"),
            std::string::npos)
      << model["table"]["columns"].dump();

  // setup.report = false: no report.
  testing::SearchDir quiet("search_no_report");
  std::string cfg = replace_all(search_config("tpe", 3), "sum_scaled_metrics = false",
                                "sum_scaled_metrics = false\nreport = false");
  r = testing::run_chop(quiet.args(quiet.write(cfg)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(quiet.ckpts() + "/report.html"));
  EXPECT_EQ(r.output.find("Report:"), std::string::npos) << r.output;
}

TEST(CliCompareSamplers, JscTinyComparisonReportsTrialsToTheBruteForceOptimum) {
  testing::SearchDir d("compare");
  const std::string cfg = d.write(search_config("tpe", 20));
  auto r = testing::run_chop(d.args(cfg) +
                             " --compare-samplers tpe,random,bruteforce,nsgaii --repeats 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("[bruteforce 2/2] 18 trials (space exhausted)"), std::string::npos)
      << r.output;
  // One table row per sampler with the trials each repeat needed to reach the optimum.
  for (const char* sampler : {"tpe", "random", "bruteforce", "nsgaii"}) {
    std::smatch m;
    const std::regex row(std::string("\\| ") + sampler +
                         " \\| 2 \\| ([0-9.]+|-) \\(([0-9-]+), ([0-9-]+)\\) \\| ([0-2])/2 \\|");
    ASSERT_TRUE(std::regex_search(r.output, m, row)) << sampler << "\n" << r.output;
    if (std::string(sampler) == "bruteforce") {
      EXPECT_EQ(m[4], "2");  // brute force always reaches its own optimum, within 18 trials
      EXPECT_LE(std::stoi(m[2]), 18);
    }
  }
  const std::string dir = d.ckpts() + "/comparison";
  EXPECT_TRUE(fs::exists(dir + "/study.db"));
  EXPECT_TRUE(fs::exists(dir + "/report.html"));
  EXPECT_TRUE(fs::exists(dir + "/plots/comparison_trials.svg"));
  // `chop report` on the comparison's storage draws the comparison again.
  r = testing::run_chop("report --storage " + dir + "/study.db --output " +
                        (d.dir / "again").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Sampler comparison 'p' (8 studies"), std::string::npos) << r.output;
  // ... and any one of its studies on request.
  r = testing::run_chop("report --storage " + dir + "/study.db --study p/tpe/1 --output " +
                        (d.dir / "one").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Report of study 'p/tpe/1' (20 trials)"), std::string::npos) << r.output;

  // Mistakes in the flags are clear.
  r = testing::run_chop(d.args(cfg) + " --compare-samplers tpe,rnadom");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("did you mean 'random'"), std::string::npos) << r.output;
  r = testing::run_chop(d.args(cfg) + " --compare-samplers tpe --repeats 0");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = testing::run_chop(d.args(cfg) + " --repeats 3");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--compare-samplers"), std::string::npos) << r.output;
  const std::string bad =
      d.write(replace_all(search_config("tpe", 5), "sum_scaled_metrics = false",
                          "sum_scaled_metrics = false\ncompare_samplers = \"tpe\""),
              "bad.toml");
  r = testing::run_chop(d.args(bad));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("compare_samplers"), std::string::npos) << r.output;
}

TEST(CliCompareSamplers, TheLab3ExampleConfigIsValid) {
  // The shipped example parses and runs (2 samplers, 1 repeat here to stay fast).
  testing::SearchDir d("lab3_example");
  std::string cfg = read_file(std::string(CHOP_SOURCE_DIR) + "/configs/jsc_tiny_lab3_compare.toml");
  auto r =
      testing::run_chop(d.args(d.write(cfg)) + " --compare-samplers bruteforce,tpe --repeats 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("| bruteforce | 1 |"), std::string::npos) << r.output;
}

}  // namespace chop

namespace chop {

TEST(CliReport, ListPlotsShowsThePlotRegistry) {
  auto r = testing::run_chop("list plots");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* id :
       {"history", "pareto", "importance", "slice", "parallel", "learning", "hardware"})
    EXPECT_NE(r.output.find("| " + std::string(id) + " "), std::string::npos) << id << r.output;
  EXPECT_NE(r.output.find("fANOVA"), std::string::npos);
}

}  // namespace chop
