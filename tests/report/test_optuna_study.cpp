// Reports of studies Optuna wrote: Debian's Optuna 3.1 (python3-optuna, installed by
// scripts/setup.sh) runs a multi-objective NSGA-II study into SQLite; chop reads it, draws every
// plot, and Optuna still loads the study afterwards.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "report/page.h"
#include "synthetic.h"

using namespace chop;
using namespace chop::report;

namespace {

std::string run_python(const std::string& script) {
  const std::string cmd = "/usr/bin/python3 - 2>&1 <<'PYEOF'\n" + script + "\nPYEOF";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "popen failed";
  char buf[4096];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return out;
}

}  // namespace

TEST(OptunaStudy, ChopReportsAStudyOptunaWroteAndOptunaStillReadsIt) {
  const std::string db = chop::testing::temp_dir("optuna") + "/optuna.db";
  const std::string made = run_python(R"(
import math, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
s = optuna.create_study(study_name="optuna-mo", storage="sqlite:///)" +
                                      db + R"(",
                        directions=["maximize", "minimize"],
                        sampler=optuna.samplers.NSGAIISampler(seed=3))
def f(t):
    w = t.suggest_categorical("width", [2, 4, 8])
    lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
    if t.number == 5:
        raise optuna.TrialPruned()
    return 1 - 1 / w - abs(math.log10(lr) + 2) * 0.01, w * 1.5
s.optimize(f, n_trials=12)
print("trials", len(s.trials)))");
  ASSERT_NE(made.find("trials 12"), std::string::npos) << made;

  auto storage = open_storage_for_reading(db);
  const StudyData d = load_study(*storage, pick_study(*storage, ""));
  EXPECT_EQ(d.name, "optuna-mo");
  ASSERT_EQ(d.trials.size(), 12u);
  EXPECT_EQ(d.objective_names, (std::vector<std::string>{"values_0", "values_1"}));
  EXPECT_EQ(d.trials[5].state, search::TrialState::kPruned);
  EXPECT_TRUE(d.trials[0].distributions.at("width").is_categorical());
  const StudyReport r = build_study_report(d);
  std::set<std::string> ids;
  for (const auto& f : r.figures) ids.insert(f.id);
  for (const char* id : {"history", "hypervolume", "pareto", "importance", "slice", "parallel"})
    EXPECT_TRUE(ids.count(id)) << id;
  EXPECT_EQ(r.model["table"]["rows"].size(), 12u);

  const std::string reread = run_python(R"(
import optuna
s = optuna.load_study(study_name="optuna-mo", storage="sqlite:///)" +
                                        db + R"(")
print("reloaded", len(s.trials), len(s.best_trials) > 0))");
  EXPECT_NE(reread.find("reloaded 12 True"), std::string::npos) << reread;
}
