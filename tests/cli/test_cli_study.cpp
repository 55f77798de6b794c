// `chop study list|show|export|copy|delete` end to end on SQLite study files written by
// `chop search --storage URL`, chop resuming a study Optuna wrote, and the study errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/quick_search_toml.h"
#include "common/run_chop.h"
#include "common/search_dir.h"
#include "core/files.h"
#include "core/strings.h"

namespace chop {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::run_chop;
using testing::SearchDir;

std::string search_toml(int n_trials, const std::string& study = "lab") {
  return testing::quick_search_toml(n_trials, study);
}

std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

std::string optuna_script() {
  return "/usr/bin/python3 '" + std::string(CHOP_SOURCE_DIR) + "/tests/search/optuna_study.py' ";
}

}  // namespace

TEST(CliStudy, ListShowExportCopyDelete) {
  SearchDir d("study_admin");
  const fs::path db = d.dir / "shared.db";
  const auto search =
      run_chop(d.args(d.write(search_toml(6))) + " --storage sqlite:///" + db.string());
  ASSERT_EQ(search.exit_code, 0) << search.output;
  EXPECT_NE(search.output.find("study 'lab' in sqlite:" + db.string()), std::string::npos)
      << search.output;
  EXPECT_FALSE(fs::exists(d.ckpts() + "/study.db"));  // the URL replaced the default file

  auto r = run_chop("study list --storage " + q(db));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("| lab "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("maximize, minimize"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("6 complete"), std::string::npos) << r.output;

  r = run_chop("study show --storage sqlite:///" + db.string() + " --study lab");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Pareto front"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/config/weight_width="), std::string::npos) << r.output;

  r = run_chop("study export --storage " + q(db) + " --study lab --out " + q(d.dir / "t.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string csv = read_file((d.dir / "t.csv").string());
  EXPECT_TRUE(starts_with(csv, "number,values_0,values_1,datetime_start,")) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
  r = run_chop("study export --storage " + q(db) + " --study lab --out " + q(d.dir / "t.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Json j = Json::parse(read_file((d.dir / "t.json").string()));
  EXPECT_EQ(j["trials"].size(), 6u);
  EXPECT_TRUE(j["trials"][0]["user_attrs"].contains("software_metrics"));

  const fs::path other = d.dir / "other.db";
  r = run_chop("study copy --storage " + q(db) + " --study lab --to " + q(other) +
               " --to-study lab-copy");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(6 trials)"), std::string::npos) << r.output;
  r = run_chop("study copy --storage " + q(db) + " --study lab --to " + q(other) +
               " --to-study lab-copy");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;
  // The copy resumes like the original: 2 more trials, numbered 6 and 7.
  const auto resumed =
      run_chop(d.args(d.write(search_toml(8, "lab-copy")), "p2") + " --storage " + q(other));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("(6 already in study 'lab-copy')"), std::string::npos)
      << resumed.output;
  EXPECT_NE(resumed.output.find("#7 COMPLETE"), std::string::npos) << resumed.output;

  r = run_chop("study delete --storage " + q(db) + " --study lab");  // stdin is not a terminal
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("add --yes"), std::string::npos) << r.output;
  r = run_chop("study delete --storage " + q(db) + " --study lab --yes");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_chop("study list --storage " + q(db));
  EXPECT_NE(r.output.find("No studies in"), std::string::npos) << r.output;
  r = run_chop("study list --storage " + q(other));
  EXPECT_NE(r.output.find("| lab-copy "), std::string::npos) << r.output;
}

TEST(CliStudy, ResumesAStudyOptunaWrote) {
  SearchDir d("study_optuna");
  const fs::path ref = d.dir / "ref.db", db = d.dir / "optuna.db";
  auto r = run_chop(d.args(d.write(search_toml(1))) + " --storage " + q(ref));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Optuna creates a study over the same space (the distributions chop's search declared).
  const std::string cmd = optuna_script() + "write_like 'sqlite:///" + ref.string() +
                          "' lab 'sqlite:///" + db.string() + "' lab 4 1 >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  r = run_chop(d.args(d.write(search_toml(7)), "p2") + " --storage " + q(db));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(4 already in study 'lab')"), std::string::npos) << r.output;
  for (const char* t : {"#4 COMPLETE", "#5 COMPLETE", "#6 COMPLETE"})
    EXPECT_NE(r.output.find(t), std::string::npos) << t << "\n" << r.output;
  const Json log = d.log("p2");
  EXPECT_EQ(log.size(), 7u);  // Optuna's 4 trials and chop's 3
}

TEST(CliStudy, MistakesAreClearErrors) {
  SearchDir d("study_errors");
  struct Case {
    std::string args, expect;
  };
  const fs::path db = d.dir / "empty.db";
  ASSERT_EQ(run_chop("study list --storage " + q(db)).exit_code, 2);  // not created
  ASSERT_FALSE(fs::exists(db));
  {
    std::ofstream touch(db);  // an empty file is an empty SQLite database
  }
  for (const Case& c : std::vector<Case>{
           {"study", "chop study needs a subcommand"},
           {"study lsit --storage x.db", "did you mean 'list'"},
           {"study list", "chop study needs --storage URL"},
           {"study list --storage " + q(d.dir / "typo.db"), "no study file"},
           {"study list --storage memory", "names no stored study file"},
           {"study show --storage " + q(db), "needs --study NAME"},
           {"study show --storage " + q(db) + " --study nope", "no study 'nope'"},
           {"study list --storage mysql://u:Sekr1t@h/d", "unknown storage 'mysql://u:***@h/d'"},
           {"study export --storage " + q(db) + " --study x --format xml", "no study 'x'"},
       }) {
    const auto r = run_chop(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_EQ(r.output.find("Sekr1t"), std::string::npos) << r.output;
    EXPECT_FALSE(testing::looks_like_crash(r.output)) << r.output;
  }
}

}  // namespace chop
