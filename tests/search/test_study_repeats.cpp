// Repeats are matched on configuration values (StudyOptions::config_of), never on internal
// values or indices: even a study continued with a reordered choice list (which chop's search
// refuses; the engine must not depend on that) reuses only the trial that evaluated the same
// values.
#include <gtest/gtest.h>

#include <vector>

#include "search/sampler_registry.h"
#include "search/study.h"

using namespace chop;
using namespace chop::search;

namespace {

// A study whose parameter "w" is an index into `choices` (MASE's param_encoding = "index").
StudyOptions index_encoded(std::shared_ptr<Storage> storage, std::vector<int> choices) {
  StudyOptions o;
  o.name = "widths";
  o.directions = {Direction::kMaximize};
  o.storage = std::move(storage);
  o.sampler = make_sampler("bruteforce", Json::object(), 0);
  // As chop's search does: the values a trial evaluated are recorded with it ("chop:config"),
  // so trials of an earlier run are matched on what they evaluated, not on today's list.
  o.config_of = [choices](const FrozenTrial& t) {
    if (t.system_attrs.contains("chop:config")) return t.system_attrs["chop:config"];
    Json c = Json::object();
    for (const auto& [name, v] : t.params) c[name] = choices.at(static_cast<size_t>(v));
    return c;
  };
  return o;
}

}  // namespace

TEST(StudyRepeats, MatchedOnValuesNotIndices) {
  auto storage = make_in_memory_storage();
  std::vector<int> evaluated;
  auto objective = [&](const std::vector<int>& choices) {
    return [&evaluated, choices](Trial& t) {
      const int width = choices.at(static_cast<size_t>(t.suggest_int("w", 0, 2)));
      t.set_system_attr("chop:config", {{"w", width}});
      evaluated.push_back(width);
      return std::vector<double>{static_cast<double>(width)};
    };
  };
  OptimizeOptions oo;
  oo.n_trials = 3;
  {
    Study first(index_encoded(storage, {2, 4, 8}));
    first.optimize(objective({2, 4, 8}), oo);
  }
  ASSERT_EQ(evaluated, (std::vector<int>{2, 4, 8}));
  // The same study with the list reordered: index 0 is now width 8, evaluated by trial 2.
  Study second(index_encoded(storage, {8, 4, 2}));
  second.enqueue_trial({{"w", 0}});
  oo.n_trials = 1;
  const OptimizeSummary sum = second.optimize(objective({8, 4, 2}), oo);
  EXPECT_EQ(sum.n_reused, 1);
  const FrozenTrial t = second.trial(3);
  ASSERT_TRUE(t.system_attrs.contains("reused_from")) << t.system_attrs.dump();
  EXPECT_EQ(t.system_attrs["reused_from"].get<int64_t>(), 2);  // width 8, not trial 0's width 2
  EXPECT_EQ(t.values, std::vector<double>{8.0});
  EXPECT_EQ(evaluated.size(), 3u);
}

TEST(StudyRepeats, SameIndexOfAnotherValueIsEvaluated) {
  auto storage = make_in_memory_storage();
  int evaluations = 0;
  auto objective = [&evaluations](const std::vector<int>& choices) {
    return [&evaluations, choices](Trial& t) {
      const int width = choices.at(static_cast<size_t>(t.suggest_int("w", 0, 1)));
      t.set_system_attr("chop:config", {{"w", width}});
      ++evaluations;
      return std::vector<double>{static_cast<double>(width)};
    };
  };
  OptimizeOptions oo;
  oo.n_trials = 1;
  {
    Study first(index_encoded(storage, {2, 4}));
    first.enqueue_trial({{"w", 0}});
    first.optimize(objective({2, 4}), oo);
  }
  // Index 0 stands for 16 now: a configuration never evaluated, so it is evaluated.
  Study second(index_encoded(storage, {16, 32}));
  second.enqueue_trial({{"w", 0}});
  const OptimizeSummary sum = second.optimize(objective({16, 32}), oo);
  EXPECT_EQ(sum.n_reused, 0);
  EXPECT_EQ(evaluations, 2);
  EXPECT_EQ(second.trial(1).values, std::vector<double>{16.0});
}
