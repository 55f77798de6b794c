// The report in a real browser: headless Chromium (network off, fresh profile) loads the
// report of a finished multi-objective search; no console message, every chart drawn, the
// Pareto plot's SVG holds one mark per trial with values, and a screenshot is saved in
// build/test-artifacts/ for people to look at. The edge-case reports render and say why.
#include <gtest/gtest.h>

#include <filesystem>

#include "../common/chromium.h"
#include "comparison_fixture.h"
#include "report/report.h"
#include "report/study_summary.h"
#include "synthetic.h"

using namespace chop;
using namespace chop::report;
using namespace chop::testing;
namespace fs = std::filesystem;

namespace {

std::string write_report(const StudyData& d, const std::string& name) {
  ReportOptions o;
  o.output_dir = temp_dir("browser_" + name);
  o.svg = false;  // the browser draws the page's own charts
  return write_study_report(d, o).html;
}

void expect_clean_render(const BrowserPage& page) {
  ASSERT_EQ(page.exit_code, 0) << page.log;
  std::string console;
  for (const auto& line : page.console) console += line + "\n";
  EXPECT_TRUE(page.console.empty()) << "console messages:\n" << console;
  // The page marks its <body> when every chart is drawn, and counts errors there.
  const std::string body = body_tag(page.dom, "<pre id=\"chop-errors\"");
  EXPECT_NE(body.find("data-chop-rendered=\"ok\""), std::string::npos)
      << "the page did not finish drawing: " << body;
  EXPECT_EQ(body.find("data-chop-errors"), std::string::npos) << body;
}

}  // namespace

TEST(Browser, MultiObjectiveReportRendersWithOneParetoMarkPerTrial) {
  ASSERT_FALSE(find_chromium().empty()) << "bash scripts/setup.sh installs Debian's chromium";
  auto storage = search::make_in_memory_storage();
  run_hardware_study(storage, "hw", 40);
  const StudyData d = load_study(*storage, "hw");
  const std::string shot =
      std::string(CHOP_BINARY_DIR) + "/test-artifacts/report-multiobjective.png";
  fs::remove(shot);
  const BrowserPage page = load_page(write_report(d, "mo"), shot);
  expect_clean_render(page);
  size_t with_values = 0;
  for (const auto& t : d.trials) with_values += has_all_values(t, 2) ? 1 : 0;
  const std::string marks = element_with(page.dom, "trials_marks");
  ASSERT_FALSE(marks.empty()) << "no Pareto point group in the page";
  EXPECT_EQ(count_of(marks, "<path"), with_values);
  // Every figure was drawn as SVG by vega-embed.
  for (const char* id : {"history", "hypervolume", "pareto", "importance", "slice", "parallel",
                         "learning", "hardware"}) {
    const std::string fig = element_with(page.dom, "id=\"figure-" + std::string(id) + "\"");
    EXPECT_NE(fig.find("<svg"), std::string::npos) << id;
  }
  // The trial table has a row per trial.
  const std::string table = element_with(page.dom, "class=\"chop-trials\"");
  EXPECT_EQ(count_of(table, "<tr>"), d.trials.size() + 1);
  ASSERT_TRUE(fs::exists(shot));
  EXPECT_GT(fs::file_size(shot), 10000u);
}

TEST(Browser, EmptyOneTrialAndAllFailedReportsRenderAndSaySo) {
  ASSERT_FALSE(find_chromium().empty());
  const auto storage = chop::testing::edge_case_studies();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", "no trials yet"}, {"one", "single trial"}, {"failed", "All 3 trials failed"}};
  for (const auto& [name, says] : cases) {
    const BrowserPage page = load_page(write_report(load_study(*storage, name), name));
    SCOPED_TRACE(name);
    expect_clean_render(page);
    EXPECT_NE(page.dom.find(says), std::string::npos);
  }
}

TEST(Browser, SamplerComparisonRenders) {
  ASSERT_FALSE(find_chromium().empty());
  auto storage = search::make_in_memory_storage();
  run_comparison(storage, "lab3", {"bruteforce", "random", "tpe"}, 3, 40);
  ReportOptions o;
  o.output_dir = temp_dir("browser_comparison");
  o.svg = false;
  const std::string html = write_comparison_report(load_comparison(*storage, "lab3"), o).html;
  const std::string shot = std::string(CHOP_BINARY_DIR) + "/test-artifacts/report-comparison.png";
  const BrowserPage page = load_page(html, shot, 2400);
  expect_clean_render(page);
  for (const char* id : {"comparison_trials", "comparison_time", "trials_to_optimum"})
    EXPECT_NE(element_with(page.dom, "id=\"figure-" + std::string(id) + "\"").find("<svg"),
              std::string::npos)
        << id;
  EXPECT_TRUE(fs::exists(shot));
}
