// The report's page model, HTML and SVG files: every plot of the registry from a real study,
// one Pareto mark per trial with values, offline HTML that survives hostile names, the edge
// cases, and SVGs drawn by vega under node.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "core/files.h"
#include "report/assets.h"
#include "report/page.h"
#include "report/report.h"
#include "report/svg_export.h"
#include "synthetic.h"

using namespace chop;
using namespace chop::report;
using chop::testing::run_hardware_study;
using chop::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

const Json* find_section(const Json& model, const std::string& id) {
  for (const auto& s : model["sections"])
    if (s["id"] == id) return &s;
  return nullptr;
}

const Json* find_layer(const Json& spec, const std::string& name) {
  if (spec.contains("name") && spec["name"] == name) return &spec;
  for (const char* key : {"layer", "concat", "vconcat", "hconcat"})
    if (spec.contains(key))
      for (const auto& sub : spec[key])
        if (const Json* f = find_layer(sub, name)) return f;
  return nullptr;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

StudyData hardware_study(int n_trials) {
  auto storage = search::make_in_memory_storage();
  run_hardware_study(storage, "hw", n_trials);
  return load_study(*storage, "hw");
}

}  // namespace

TEST(Page, EveryPlotOfTheRegistryForAHardwareAwareSearch) {
  const StudyData d = hardware_study(40);
  const StudyReport r = build_study_report(d);
  std::set<std::string> ids;
  for (const auto& f : r.figures) ids.insert(f.id);
  for (const char* id : {"history", "hypervolume", "pareto", "importance", "slice", "parallel",
                         "learning", "hardware"})
    EXPECT_TRUE(ids.count(id)) << id;
  for (const auto& kind : section_registry()) EXPECT_NE(find_section(r.model, kind.id), nullptr);
  // The Pareto plot has one point per trial with both objective values.
  const Json* pareto = find_section(r.model, "pareto");
  ASSERT_NE(pareto, nullptr);
  const Json* points = find_layer((*pareto)["figures"][0]["spec"], "trials");
  ASSERT_NE(points, nullptr);
  size_t with_values = 0;
  for (const auto& t : d.trials) with_values += has_all_values(t, 2) ? 1 : 0;
  EXPECT_EQ((*points)["data"]["values"].size(), with_values);
  // Hovering shows the trial's number, configuration and metrics.
  const std::string tooltip = (*points)["encoding"]["tooltip"].dump();
  for (const char* t :
       {"\"title\":\"trial\"", "\"title\":\"width\"", "\"title\":\"lr\"",
        "\"title\":\"software_metrics.accuracy\"", "\"title\":\"hardware_metrics.bitops\""})
    EXPECT_NE(tooltip.find(t), std::string::npos) << t << " in " << tooltip;
  EXPECT_TRUE((*points)["data"]["values"][0].contains("m0"));
  EXPECT_LT(with_values, d.trials.size());  // failed and infeasible ones are counted in a note
  ASSERT_FALSE((*pareto)["notes"].empty());
  EXPECT_NE((*pareto)["notes"][0].get<std::string>().find("infeasible"), std::string::npos);
  // The trial table: one row per trial, MASE's metric groups as columns.
  const Json& table = r.model["table"];
  EXPECT_EQ(table["rows"].size(), d.trials.size());
  std::set<std::string> titles;
  for (const auto& c : table["columns"]) titles.insert(c["title"].get<std::string>());
  for (const char* c : {"number", "state", "accuracy", "average_bitwidth", "width",
                        "software_metrics.accuracy", "hardware_metrics.bitops",
                        "scaled_metrics.average_bitwidth", "sampled_config", "duration (s)"})
    EXPECT_TRUE(titles.count(c)) << c;
  EXPECT_NE(r.model["table"].dump().find("diverged: NaN loss"), std::string::npos);
  EXPECT_NE(r.model["table"].dump().find("bitops"), std::string::npos);
}

TEST(Page, HtmlIsSelfContainedAndSurvivesHostileNames) {
  auto storage = search::make_in_memory_storage();
  search::StudyOptions o;
  o.name = "</script><script>alert(1)</script>";
  o.storage = storage;
  search::Study study(o);
  search::OptimizeOptions oo;
  oo.n_trials = 5;
  study.optimize(
      [](search::Trial& t) -> std::vector<double> {
        return {t.suggest_float("</script>x.y[0]", 0, 1)};
      },
      oo);
  const StudyReport r = build_study_report(load_study(*storage, o.name));
  const std::string html = render_page(r.model);
  // Exactly our script elements end: three libraries, the model, the page script, the start.
  EXPECT_EQ(count(html, "</script>"), 6u);
  const size_t model_at = html.find("id=\"chop-model\">");
  ASSERT_NE(model_at, std::string::npos);
  const std::string model_text =
      html.substr(model_at + 16, html.find("</script>", model_at) - model_at - 16);
  EXPECT_EQ(model_text.find('<'), std::string::npos);
  EXPECT_EQ(Json::parse(model_text)["title"], "Study " + o.name);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find(std::string(asset_text(Asset::kVega)).substr(0, 200)), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;"), std::string::npos);  // the <title>
  // The parameter keeps its name for people, and never appears as a Vega field path.
  const Json* slice = find_section(r.model, "slice");
  ASSERT_NE(slice, nullptr);
  EXPECT_EQ((*slice)["figures"][0]["spec"].dump().find("\"field\":\"</script>x.y[0]\""),
            std::string::npos);
  EXPECT_NE((*slice)["figures"][0]["spec"].dump().find("\"title\":\"</script>x.y[0]\""),
            std::string::npos);
  EXPECT_EQ(script_safe("a</SCRIPT>b<!--c"), "a<\\/SCRIPT>b<\\!--c");
}

TEST(Page, EmptyOneTrialAndAllFailedReportsSaySo) {
  const auto storage = chop::testing::edge_case_studies();
  const auto empty = build_study_report(load_study(*storage, "empty"));
  EXPECT_NE(empty.model["notes"].dump().find("no trials yet"), std::string::npos);
  EXPECT_TRUE(empty.figures.empty());
  EXPECT_TRUE(empty.model["table"]["rows"].empty());

  const auto one = build_study_report(load_study(*storage, "one"));
  EXPECT_NE(one.model["notes"].dump().find("single trial"), std::string::npos);
  EXPECT_NE(one.model["sections"].dump().find("at least two complete trials"), std::string::npos);
  EXPECT_EQ(one.model["table"]["rows"].size(), 1u);

  const auto failed = build_study_report(load_study(*storage, "failed"));
  EXPECT_NE(failed.model["notes"].dump().find("All 3 trials failed"), std::string::npos);
  EXPECT_TRUE(failed.figures.empty());
  EXPECT_NE(failed.model["table"].dump().find("out of memory in the runner"), std::string::npos);
  for (const auto* r : {&empty, &one, &failed}) EXPECT_FALSE(render_page(r->model).empty());
}

TEST(SvgExport, NodeDrawsEachFigureWithOneMarkPerTrial) {
  ASSERT_FALSE(find_node().empty()) << "node not found: bash scripts/setup.sh installs nodejs";
  const StudyData d = hardware_study(25);
  const std::string dir = temp_dir("svg");
  // An SVG of an earlier report that this one has no figure for must not survive.
  write_file_atomic(dir + "/plots/stale.svg", "<svg/>");
  ReportOptions o;
  o.output_dir = dir;
  const ReportFiles files = write_study_report(d, o);
  EXPECT_TRUE(files.svg_note.empty()) << files.svg_note;
  EXPECT_TRUE(fs::exists(dir + "/report.html"));
  EXPECT_FALSE(fs::exists(dir + "/plots/stale.svg"));
  EXPECT_GE(files.svgs.size(), 7u);
  const std::string svg = read_file(dir + "/plots/pareto.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  size_t with_values = 0;
  for (const auto& t : d.trials) with_values += has_all_values(t, 2) ? 1 : 0;
  // Vega draws each point of the "trials" mark as one <path> inside the mark's group.
  const size_t group = svg.find("trials_marks");
  ASSERT_NE(group, std::string::npos);
  const size_t end = svg.find("</g>", group);
  EXPECT_EQ(count(svg.substr(group, end - group), "<path"), with_values);
  for (const auto& f : files.svgs) EXPECT_FALSE(fs::exists(f + ".tmp"));
}

TEST(SvgExport, WithoutNodeTheHtmlIsStillWrittenAndTheMessageSaysWhy) {
  const StudyData d = hardware_study(6);
  const std::string dir = temp_dir("nonode");
  ReportOptions o;
  o.output_dir = dir;
  o.node = dir + "/no-such-node";
  const ReportFiles files = write_study_report(d, o);
  EXPECT_TRUE(fs::exists(dir + "/report.html"));
  EXPECT_TRUE(files.svgs.empty());
  EXPECT_NE(files.svg_note.find("not an executable"), std::string::npos) << files.svg_note;
  EXPECT_NE(files.svg_note.find("HTML report is complete"), std::string::npos);
  // A node that fails: the message carries its output.
  write_file_atomic(dir + "/bad-node", "#!/bin/sh\necho 'node: broken install' >&2\nexit 3\n");
  fs::permissions(dir + "/bad-node", fs::perms::owner_all);
  const SvgExportResult r = export_svgs({{dir + "/x.svg", Json::object()}}, dir + "/bad-node");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("exit 3"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("broken install"), std::string::npos) << r.message;
}

TEST(Page, IndexedChoicesShowTheirValuesAndSingleValuedParametersAreLeftOut) {
  auto storage = search::make_in_memory_storage();
  search::StudyOptions o;
  o.name = "indexed";
  o.storage = storage;
  search::Study study(o);
  storage->set_study_user_attr(*storage->study_id_from_name("indexed"), "chop:param_choices",
                               {{"width", {4, 8, 16}}, {"name", {"integer"}}});
  search::OptimizeOptions oo;
  oo.n_trials = 6;
  study.optimize(
      [](search::Trial& t) -> std::vector<double> {
        const auto w = t.suggest_int("width", 0, 2);
        t.suggest_int("name", 0, 0);
        return {static_cast<double>(w)};
      },
      oo);
  const StudyData d = load_study(*storage, "indexed");
  const StudyReport r = build_study_report(d);
  const Json* slice = find_section(r.model, "slice");
  ASSERT_NE(slice, nullptr);
  const std::string spec = (*slice)["figures"][0]["spec"].dump();
  EXPECT_NE(spec.find("\"sort\":[\"4\",\"8\",\"16\"]"), std::string::npos) << spec.substr(0, 400);
  EXPECT_EQ(spec.find("\"title\":\"name\""), std::string::npos);  // one value: not plotted
  EXPECT_NE((*slice)["notes"].dump().find("1 parameters with a single possible value"),
            std::string::npos);
  // The table shows the chosen value, not its index.
  const Json& table = r.model["table"];
  size_t width_col = 0;
  for (size_t c = 0; c < table["columns"].size(); ++c)
    if (table["columns"][c]["title"] == "width") width_col = c;
  ASSERT_GT(width_col, 0u);
  const double index = d.trials[0].params.at("width");
  EXPECT_EQ(table["rows"][0][width_col], std::to_string(4 << static_cast<int>(index)));
}
