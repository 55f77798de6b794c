// Issue 12's check "3 concurrent bruteforce processes on one 16-configuration study → 16
// evaluations in total": three `chop search` processes started together on one SQLite study
// run 16 trials together, one per configuration (each created holding its configuration's
// claim), all COMPLETE, and best.json names the best of them.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/quick_search_toml.h"
#include "common/search_dir.h"
#include "common/study_db.h"
#include "core/files.h"

namespace chop {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// 2 x 4 x 2 = 16 configurations of jsc-tiny's linear layers, scored on 512 validation rows.
std::string sixteen_configurations_toml() {
  testing::SearchToml s;
  s.seed = 3;
  s.seeds = {{"linear",
              "name = [\"integer\"]\ndata_in_width = [4, 8]\ndata_in_frac_width = [2]\n"
              "weight_width = [2, 3, 4, 8]\nweight_frac_width = [1]\nbias_width = [4, 8]\n"
              "bias_frac_width = [2]\n"}};
  s.data_loader = "";
  s.average_bitwidth = false;
  s.sampler = "bruteforce";
  s.study_name = "grid16";
  s.n_trials = 100;
  s.sum_scaled_metrics = true;
  return s.text();
}

}  // namespace

TEST(BruteforceWorkers, ThreeProcessesEvaluateSixteenConfigurationsOnce) {
  testing::SearchDir d("bruteforce3");
  const std::string toml = d.write(sixteen_configurations_toml());
  const std::string db = (d.dir / "shared.db").string();
  std::string script = "cd '" + d.dir.string() + "'\n";
  for (int k = 0; k < 3; ++k)
    script += "(" + std::string(CHOP_BINARY_DIR) + "/chop " +
              d.args(toml, "w" + std::to_string(k)) + " --storage 'sqlite:///" + db + "' > worker" +
              std::to_string(k) + ".log 2>&1 < /dev/null; echo $? > worker" + std::to_string(k) +
              ".rc) &\n";
  script += "wait\n";
  write_file_atomic((d.dir / "workers.sh").string(), script);
  ASSERT_EQ(std::system(("bash '" + (d.dir / "workers.sh").string() + "'").c_str()), 0);
  for (int k = 0; k < 3; ++k) {
    const std::string log = read_file((d.dir / ("worker" + std::to_string(k) + ".log")).string());
    EXPECT_EQ(read_file((d.dir / ("worker" + std::to_string(k) + ".rc")).string()), "0\n") << log;
  }

  const auto rows = testing::stored_trials(db);
  std::set<std::string> evaluated;
  int64_t evaluations = 0;
  const testing::StoredTrial* best = nullptr;
  for (const auto& r : rows) {
    EXPECT_EQ(r.state, "COMPLETE") << "#" << r.number;
    if (r.reused_from >= 0) {
      ADD_FAILURE() << "#" << r.number << " repeats trial " << r.reused_from;
      ASSERT_LT(r.reused_from, static_cast<int64_t>(rows.size()));
      const testing::StoredTrial& original = rows[static_cast<size_t>(r.reused_from)];
      EXPECT_EQ(original.reused_from, -1);
      EXPECT_EQ(r.sampled, original.sampled) << "#" << r.number;
      EXPECT_EQ(r.value, original.value) << "#" << r.number;
      continue;
    }
    ++evaluations;
    EXPECT_TRUE(evaluated.insert(r.sampled.dump()).second) << "evaluated twice: " << r.sampled;
    if (!best || r.value > best->value) best = &r;
  }
  EXPECT_EQ(evaluations, 16) << "16 configurations, each evaluated once";
  EXPECT_EQ(evaluated.size(), 16u);
  // Each trial was created holding its configuration's claim: no worker started a trial for a
  // configuration another was evaluating, and none was left to answer from another's result.
  EXPECT_EQ(rows.size(), 16u);
  // Each worker's best.json names a trial with the best value of the 16 (ties: any of them).
  ASSERT_NE(best, nullptr);
  for (int k = 0; k < 3; ++k) {
    const Json b = Json::parse(read_file(d.ckpts("w" + std::to_string(k)) + "/best.json"));
    ASSERT_FALSE(b.empty()) << b.dump();
    const Json& first = b.begin().value();
    EXPECT_DOUBLE_EQ(first.value("value", -1.0), best->value) << b.dump();
  }
}

}  // namespace chop
