// SearchResults: incremental log.json / best.json equal a full render of the same trials, the
// best set follows Study::best_trial / best_trials, and reused repeats are left out of it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "strategy/search_report.h"
#include "strategy/search_results.h"
#include "core/files.h"
#include "search/pareto.h"

namespace chop::strategy {
namespace {

namespace fs = std::filesystem;
using search::Direction;
using search::FrozenTrial;
using search::TrialState;

FrozenTrial trial(int64_t number, std::vector<double> values, TrialState state =
                                                                  TrialState::kComplete) {
  FrozenTrial t;
  t.number = number;
  t.trial_id = number + 1;
  t.state = state;
  t.values = std::move(values);
  t.datetime_start_ms = 1000 + number * 10;
  t.datetime_complete_ms = state == TrialState::kRunning ? 0 : 1005 + number * 10;
  t.user_attrs["software_metrics"] = {{"accuracy", t.values.empty() ? 0.0 : t.values[0]}};
  t.user_attrs["sampled_config"] = {{"seq_blocks_2", {{"name", "integer"}, {"weight_width", 4}}}};
  // Attributes in non-alphabetical insertion order, nested values and a key needing escapes.
  if (number % 2) t.user_attrs["zeta \"quoted\""] = {{"nested", {1, 2.5, nullptr}}, {"empty", {}}};
  t.user_attrs["alpha"] = number;
  t.system_attrs["chop:worker"] = "host:1";
  t.system_attrs["a_first"] = {{"k", number}};
  return t;
}

std::string temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() /
               ("chop_results_test_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

TEST(SearchResults, IncrementalFilesEqualAFullRender) {
  const std::vector<Direction> dirs = {Direction::kMaximize, Direction::kMinimize};
  std::vector<FrozenTrial> all;
  for (int64_t k = 0; k < 25; ++k)
    all.push_back(trial(k, {0.5 + 0.01 * static_cast<double>(k % 7), 1.0 + (k % 5)},
                        k == 3 ? TrialState::kFail : TrialState::kComplete));
  all[3].values.clear();
  const std::string dir = temp_dir("incremental");
  SearchResults results(dirs, dir);
  for (const auto& t : all) {
    results.add(t);
    results.write();
  }
  EXPECT_EQ(read_file(dir + "/log.json"), render_log_json(all, true));
  std::vector<const FrozenTrial*> ptrs;
  for (const auto& t : all)
    if (t.state == TrialState::kComplete) ptrs.push_back(&t);
  std::vector<FrozenTrial> front;
  for (size_t i : search::pareto_front_indices(search::to_losses(ptrs, dirs)))
    front.push_back(*ptrs[i]);
  EXPECT_EQ(read_file(dir + "/best.json"), render_best_json(front, true));
  EXPECT_EQ(results.best_count(), front.size());
  // The text is exactly what nlohmann writes for the whole object with dump(4).
  nlohmann::ordered_json whole = nlohmann::ordered_json::object();
  for (size_t i = 0; i < all.size(); ++i) whole[std::to_string(i)] = log_row(all[i], true);
  EXPECT_EQ(read_file(dir + "/log.json"), whole.dump(4) + "\n");
}

TEST(SearchResults, EmptyStudyWritesEmptyObjects) {
  const std::string dir = temp_dir("empty");
  SearchResults results({Direction::kMinimize}, dir);
  results.write();
  EXPECT_EQ(read_file(dir + "/log.json"), render_log_json({}, false));
  EXPECT_EQ(read_file(dir + "/best.json"), "{}\n");
}

TEST(SearchResults, SingleObjectiveBestIsTheLowestNumberAmongEquals) {
  SearchResults results({Direction::kMaximize}, temp_dir("single"));
  results.add(trial(2, {0.7}));
  results.add(trial(1, {0.7}));  // finished later (another thread), same value, lower number
  results.add(trial(0, {0.6}));
  ASSERT_EQ(results.best_count(), 1u);
  EXPECT_EQ(results.best()[0].number, 1);
  EXPECT_DOUBLE_EQ(results.best_value(), 0.7);
  results.add(trial(3, {0.9}));
  EXPECT_EQ(results.best()[0].number, 3);
}

TEST(SearchResults, ReusedRepeatsAreLoggedButNotInTheFront) {
  const std::string dir = temp_dir("reused");
  SearchResults results({Direction::kMaximize, Direction::kMinimize}, dir);
  results.add(trial(0, {0.6, 2.0}));
  FrozenTrial repeat = trial(1, {0.6, 2.0});
  repeat.system_attrs["reused_from"] = 0;
  results.add(repeat);
  results.add(trial(2, {0.7, 4.0}));
  EXPECT_EQ(results.best_count(), 2u);  // 0 and 2, not the repeat 1
  results.write();
  auto log = nlohmann::json::parse(read_file(dir + "/log.json"));
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log["1"]["system_attrs_reused_from"], 0);
  auto best = nlohmann::json::parse(read_file(dir + "/best.json"));
  ASSERT_EQ(best.size(), 2u);
  EXPECT_EQ(best["0"]["number"], 0);
  EXPECT_EQ(best["1"]["number"], 2);
}

TEST(SearchResults, WriteAllPicksUpTrialsOfOtherProcesses) {
  const std::string dir = temp_dir("write_all");
  SearchResults results({Direction::kMinimize}, dir);
  std::vector<FrozenTrial> all = {trial(0, {3.0}), trial(1, {}, TrialState::kRunning)};
  for (const auto& t : all) results.add(t);
  all[1] = trial(1, {1.0});  // finished by another process
  all.push_back(trial(2, {2.0}));
  results.write_all(all);
  EXPECT_EQ(read_file(dir + "/log.json"), render_log_json(all, false));
  EXPECT_EQ(results.best()[0].number, 1);
}

}  // namespace
}  // namespace chop::strategy
