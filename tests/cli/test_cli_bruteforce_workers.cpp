// Issue 12's check "3 concurrent bruteforce processes on one 16-configuration study → 16
// evaluations in total": three `chop search` processes started together on one SQLite study
// run 16 trials together, one per configuration (each created holding its configuration's
// claim), all COMPLETE, and best.json names the best of them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/search_dir.h"
#include "core/files.h"

namespace chop {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// 2 x 4 x 2 = 16 configurations of jsc-tiny's linear layers, scored on 512 validation rows.
std::string sixteen_configurations_toml() {
  return R"(
model = "jsc-tiny"
dataset = "jsc"
batch_size = 512
seed = 3
[search.search_space]
name = "graph/quantize/mixed_precision_ptq"
[search.search_space.setup]
by = "type"
[search.search_space.seed.default.config]
name = ["NA"]
[search.search_space.seed.linear.config]
name = ["integer"]
data_in_width = [4, 8]
data_in_frac_width = [2]
weight_width = [2, 3, 4, 8]
weight_frac_width = [1]
bias_width = [4, 8]
bias_frac_width = [2]
[search.strategy]
eval_mode = true
[search.strategy.sw_runner.basic_evaluation]
num_samples = 512
[search.strategy.setup]
sampler = "bruteforce"
study_name = "grid16"
n_trials = 100
sum_scaled_metrics = true
direction = "maximize"
[search.strategy.metrics]
accuracy.scale = 1.0
)";
}

struct Row {
  int64_t number;
  std::string state;
  std::string config;  // the sampled configuration, as stored
  double value;
  int64_t reused_from;  // -1: evaluated by this trial
};

std::vector<Row> study_rows(const std::string& db_path) {
  std::vector<Row> rows;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  const char* sql =
      "SELECT t.number, t.state, "
      " (SELECT value_json FROM trial_user_attributes u WHERE u.trial_id = t.trial_id AND "
      "  u.key = 'sampled_config'), "
      " (SELECT value FROM trial_values v WHERE v.trial_id = t.trial_id AND v.objective = 0), "
      " (SELECT value_json FROM trial_system_attributes a WHERE a.trial_id = t.trial_id AND "
      "  a.key = 'reused_from') "
      "FROM trials t ORDER BY t.number";
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    Row r;
    r.number = sqlite3_column_int64(st, 0);
    r.state = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    const unsigned char* c = sqlite3_column_text(st, 2);
    r.config = c ? Json::parse(reinterpret_cast<const char*>(c)).dump() : "";
    r.value = sqlite3_column_double(st, 3);
    r.reused_from = sqlite3_column_type(st, 4) == SQLITE_NULL
                        ? -1
                        : std::stoll(reinterpret_cast<const char*>(sqlite3_column_text(st, 4)));
    rows.push_back(r);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
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

  const auto rows = study_rows(db);
  std::set<std::string> evaluated;
  int64_t evaluations = 0;
  const Row* best = nullptr;
  for (const auto& r : rows) {
    EXPECT_EQ(r.state, "COMPLETE") << "#" << r.number;
    if (r.reused_from >= 0) {
      ADD_FAILURE() << "#" << r.number << " repeats trial " << r.reused_from;
      ASSERT_LT(r.reused_from, static_cast<int64_t>(rows.size()));
      const Row& original = rows[static_cast<size_t>(r.reused_from)];
      EXPECT_EQ(original.reused_from, -1);
      EXPECT_EQ(r.config, original.config) << "#" << r.number;
      EXPECT_EQ(r.value, original.value) << "#" << r.number;
      continue;
    }
    ++evaluations;
    EXPECT_TRUE(evaluated.insert(r.config).second) << "evaluated twice: " << r.config;
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
