// Search progress: the rate and ETA, the terminal's live line (notable trials printed above
// it) and the plain lines of logs and pipes.
#include <gtest/gtest.h>

#include <vector>

#include "strategy/progress.h"

using namespace chop;
using namespace chop::strategy;

namespace {

search::FrozenTrial trial(int64_t number, search::TrialState state, std::vector<double> values) {
  search::FrozenTrial t;
  t.number = number;
  t.state = state;
  t.values = std::move(values);
  return t;
}

}  // namespace

TEST(Progress, RateAndEta) {
  EXPECT_EQ(rate_and_eta(10, 90, 2.0, 0), "5 trials/s, ETA 18s");
  EXPECT_EQ(rate_and_eta(10, 90, 2.0, 10.0), "5 trials/s, ETA 8s");  // the timeout comes first
  EXPECT_EQ(rate_and_eta(300, 3000, 2.0, 0), "150 trials/s, ETA 20s");
  EXPECT_EQ(rate_and_eta(1, 100, 60.0, 0), "0.017 trials/s, ETA 1h40m");
  EXPECT_EQ(rate_and_eta(0, 10, 1.0, 0), "");
}

TEST(Progress, PlainLinesCarryTheRateAndEveryTrial) {
  std::vector<std::string> lines;
  SearchResults results({search::Direction::kMaximize}, "");
  TrialProgress p([&](const std::string& l) { lines.push_back(l); }, nullptr, 4, 1, 0.0);
  for (int i = 1; i <= 3; ++i) {
    const auto t = trial(i, search::TrialState::kComplete, {0.1 * i});
    results.add(t);
    p.on_trial(t, results);
  }
  p.finish();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("[trial 2/4] #1 COMPLETE values [0.1], best 0.1", 0), 0u) << lines[0];
  EXPECT_NE(lines[2].find("[trial 4/4]"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("trials/s, ETA 0s"), std::string::npos) << lines[2];
}

TEST(Progress, ALiveLineWithOnlyNotableTrialsPrinted) {
  std::vector<std::string> printed, status;
  SearchResults results({search::Direction::kMinimize}, "");
  TrialProgress p([&](const std::string& l) { printed.push_back(l); },
                  [&](const std::string& l) { status.push_back(l); }, 5, 0, 0.0, "tpe 1/2 ");
  const std::vector<search::FrozenTrial> trials = {
      trial(0, search::TrialState::kComplete, {3.0}),  // first best
      trial(1, search::TrialState::kComplete, {4.0}),  // worse: not printed
      trial(2, search::TrialState::kFail, {}),         // failed: printed
      trial(3, search::TrialState::kComplete, {1.0}),  // new best: printed
      trial(4, search::TrialState::kComplete, {2.0})};
  for (const auto& t : trials) {
    results.add(t);
    p.on_trial(t, results);
  }
  ASSERT_EQ(printed.size(), 3u);
  EXPECT_NE(printed[0].find("#0 COMPLETE"), std::string::npos);
  EXPECT_NE(printed[1].find("#2 FAIL"), std::string::npos);
  EXPECT_NE(printed[2].find("#3 COMPLETE"), std::string::npos);
  EXPECT_EQ(printed[2].rfind("tpe 1/2 [trial 4/5]", 0), 0u) << printed[2];
  ASSERT_FALSE(status.empty());
  EXPECT_EQ(status.back().rfind("tpe 1/2 [trial 5/5] best 1 | ", 0), 0u) << status.back();
  EXPECT_NE(status.back().find("ETA 0s"), std::string::npos) << status.back();
  p.finish();
  EXPECT_EQ(status.back(), "");  // cleared for what the caller prints next
}
