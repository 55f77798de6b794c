// Repeats are matched on configuration values (StudyOptions::config_of), never on internal
// values or indices: even a study continued with a reordered choice list (which chop's search
// refuses; the engine must not depend on that) reuses only the trial that evaluated the same
// values. Enumerating samplers in a shared study create each trial holding its configuration's
// claim, so workers never evaluate — or even start — the same configuration twice. A trial's
// params are stored in its claim's commit (a killed search's retry re-runs them). A repeat
// signalled by return value (Trial::set_repeat_by_return) gives the same study as the exception.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "common/forked_worker.h"
#include "common/fresh_db.h"
#include "search/sampler_registry.h"
#include "search/study.h"

using namespace chop;
using namespace chop::search;
using chop::testing::ForkedWorker;

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

namespace {

std::string claims_db(const std::string& name) {
  return chop::testing::fresh_db("chop_claims_test", name);
}

}  // namespace

TEST(StudyClaims, CreatingATrialWithItsClaimRefusesAHeldConfiguration) {
  auto storage = open_sqlite_storage(claims_db("create_claiming"));
  const int64_t id = storage->create_or_load_study("s", {Direction::kMinimize}, true);
  FrozenTrial tmpl;
  tmpl.state = TrialState::kRunning;
  tmpl.params["w"] = 1;
  tmpl.distributions.emplace("w", Distribution::make_int(0, 3));
  int64_t holder = -1;
  const FrozenTrial first = storage->create_trial_claiming(id, tmpl, -1, "k1", &holder);
  ASSERT_EQ(first.number, 0);
  EXPECT_EQ(holder, -1);
  EXPECT_EQ(storage->create_trial_claiming(id, tmpl, -1, "k1", &holder).number, -2);
  EXPECT_EQ(holder, 0);
  // The parameters were published with the trial.
  int64_t cursor = 0;
  const auto stored = storage->changed_trials(id, cursor);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].params.at("w"), 1.0);
  // A failed holder hands the claim on; the study's budget is respected.
  FrozenTrial failed = first;
  failed.state = TrialState::kFail;
  ASSERT_TRUE(storage->write_trial(id, failed));
  const FrozenTrial second = storage->create_trial_claiming(id, tmpl, -1, "k1", &holder);
  EXPECT_EQ(second.number, 1);
  EXPECT_EQ(storage->claim_configuration(id, "k1", second.trial_id), -1);
  EXPECT_EQ(storage->create_trial_claiming(id, tmpl, 2, "k2", &holder).number, -1);
}

TEST(StudyClaims, BruteforceWorkersOnOneStudyFileNeverShareAConfiguration) {
  const std::string db = claims_db("bruteforce_workers");
  std::vector<std::thread> workers;
  for (int k = 0; k < 3; ++k)
    workers.emplace_back([&db] {
      StudyOptions o;
      o.name = "grid";
      o.directions = {Direction::kMinimize};
      o.storage = open_sqlite_storage(db);  // its own connection, as another process would
      o.sampler = make_sampler("bruteforce", Json::object(), 0);
      Study study(o);
      study.declare_search_space(
          {{"a", Distribution::make_int(0, 3)},
           {"b", Distribution::make_categorical({Json(2), Json(4), Json(8), Json(16)})}});
      OptimizeOptions oo;
      oo.n_trials = 100;
      study.optimize(
          [](Trial& t) {
            const auto a = t.suggest_int("a", 0, 3);
            const Json b = t.suggest_categorical("b", {Json(2), Json(4), Json(8), Json(16)});
            t.set_user_attr("evaluated", true);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            return std::vector<double>{static_cast<double>(a) * b.get<double>()};
          },
          oo);
    });
  for (auto& w : workers) w.join();
  StudyOptions o;
  o.name = "grid";
  o.directions = {Direction::kMinimize};
  o.storage = open_sqlite_storage(db);
  Study study(o);
  std::set<std::string> configs;
  for (const auto& t : study.trials()) {
    EXPECT_EQ(t.state, TrialState::kComplete) << t.number;
    EXPECT_FALSE(t.system_attrs.contains("reused_from")) << t.number;
    EXPECT_TRUE(configs.insert(t.params_json().dump()).second) << t.params_json().dump();
  }
  EXPECT_EQ(configs.size(), 16u);
  EXPECT_EQ(study.n_trials(), 16u);
}

TEST(StudyClaims, ClaimStoresTheTrialInItsCommitUnlessFinished) {
  const std::string db = claims_db("claim_writes");
  for (auto storage : {make_in_memory_storage(), open_sqlite_storage(db)}) {
    const int64_t id = storage->create_or_load_study("s", {Direction::kMinimize}, true);
    FrozenTrial t;
    t.state = TrialState::kRunning;
    t = storage->create_trial(id, t);
    t.params["w"] = 2;
    t.distributions.emplace("w", Distribution::make_int(0, 3));
    t.user_attrs["u"] = "x";
    EXPECT_EQ(storage->claim_configuration(id, "k1", t.trial_id, &t), -1);
    // Another connection (another process) sees the params the claim committed.
    auto reader = storage->shared_between_processes() ? open_sqlite_storage(db) : storage;
    int64_t cursor = 0;
    auto stored = reader->changed_trials(id, cursor);
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].params, t.params);
    EXPECT_EQ(stored[0].user_attrs, t.user_attrs);
    EXPECT_EQ(stored[0].state, TrialState::kRunning);
    // A trial finished meanwhile (failed as stale by another worker) is neither rewritten nor
    // given the claim.
    FrozenTrial failed = t;
    failed.state = TrialState::kFail;
    ASSERT_TRUE(storage->write_trial(id, failed));
    t.params["w"] = 3;
    EXPECT_EQ(storage->claim_configuration(id, "k2", t.trial_id, &t), Storage::kClaimTrialFinished);
    cursor = 0;
    stored = reader->changed_trials(id, cursor);
    EXPECT_EQ(stored[0].state, TrialState::kFail);
    EXPECT_EQ(stored[0].params.at("w"), 2.0);
    FrozenTrial other;
    other.state = TrialState::kRunning;
    other = storage->create_trial(id, other);
    EXPECT_EQ(storage->claim_configuration(id, "k2", other.trial_id), -1);  // k2 was left free
  }
}

TEST(StudyClaims, ParamsRideWithTheClaimNotWithTheNextAttribute) {
  const std::string db = claims_db("claim_commit");
  StudyOptions o;
  o.name = "lone";
  o.directions = {Direction::kMinimize};
  o.storage = open_sqlite_storage(db);
  o.sampler = make_sampler("random", Json::object(), 3);
  Study study(o);
  OptimizeOptions oo;
  oo.n_trials = 2;
  study.optimize(
      [&](Trial& t) {
        const double x = t.suggest_float("x", 0, 1);
        t.set_user_attr("first", 1);            // the claim: its commit stores x
        auto reader = open_sqlite_storage(db);  // as another process would
        int64_t cursor = 0;
        const auto stored = reader->changed_trials(*reader->study_id_from_name("lone"), cursor);
        EXPECT_EQ(static_cast<int64_t>(stored.size()), t.number() + 1);
        const FrozenTrial& seen = stored.back();
        EXPECT_EQ(seen.params.at("x"), x);
        // The attribute set after the claim waits for the finishing commit: a lone search
        // commits a trial's creation, its claim with the params, and its end (3 writes).
        EXPECT_FALSE(seen.user_attrs.contains("first"));
        return std::vector<double>{x};
      },
      oo);
  EXPECT_EQ(study.trials({TrialState::kComplete}).size(), 2u);
}

TEST(StudyClaims, KilledLoneSearchRetriesTheSameParams) {
  const std::string db = claims_db("killed_lone");
  auto opts = [&] {
    StudyOptions o;
    o.name = "lone";
    o.directions = {Direction::kMinimize};
    o.storage = open_sqlite_storage(db);
    o.sampler = make_sampler("tpe", Json::object(), 5);
    o.retry_failed = 1;
    return o;
  };
  ForkedWorker worker([&](const ForkedWorker::Reached& evaluating) {
    Study s(opts());
    OptimizeOptions oo;
    oo.n_trials = 1;
    s.optimize(
        [&](Trial& t) {
          t.suggest_float("x", -1, 1);
          t.suggest_int("k", 1, 64);
          t.set_user_attr("evaluating", true);  // claimed: evaluation starts
          evaluating();
          std::this_thread::sleep_for(std::chrono::seconds(60));
          return std::vector<double>{0.0};
        },
        oo);
  });
  const bool started = worker.wait_reached();
  worker.kill_and_reap();
  ASSERT_TRUE(started) << "the search never started evaluating";
  // Resuming fails the dead process's trial and re-queues it; the retry runs its params.
  Study s(opts());
  OptimizeOptions oo;
  oo.n_trials = 1;
  s.optimize(
      [](Trial& t) {
        const double x = t.suggest_float("x", -1, 1);
        return std::vector<double>{x + static_cast<double>(t.suggest_int("k", 1, 64))};
      },
      oo);
  const auto trials = s.trials();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].state, TrialState::kFail);
  ASSERT_EQ(trials[0].params.size(), 2u);
  EXPECT_EQ(trials[1].state, TrialState::kComplete);
  EXPECT_EQ(trials[1].params, trials[0].params);
  EXPECT_EQ(trials[1].system_attrs.value("failed_trial", int64_t{-1}), 0);
}

// check_duplicate builds a trial's configuration text only when a finished configuration has as
// many members (StudyOptions::config_size_of). These pin down that the shortcut never changes
// which trials are repeats.
TEST(StudyRepeats, MidSuggestRepeatOfAShorterConfigurationIsStillFound) {
  // Trial 0 suggests only "a"; trial 1's first suggest gives it the same one-member
  // configuration, so it is trial 0's repeat before it suggests "b" (as before the shortcut).
  StudyOptions o;
  o.directions = {Direction::kMaximize};
  o.sampler = make_sampler("bruteforce", Json::object(), 0);
  Study s(o);
  s.enqueue_trial({{"a", 1}});
  s.enqueue_trial({{"a", 1}, {"b", 0}});
  int evaluations = 0;
  OptimizeOptions oo;
  oo.n_trials = 2;
  s.optimize(
      [&](Trial& t) {
        const auto a = t.suggest_int("a", 0, 1);
        if (t.number() == 1) t.suggest_int("b", 0, 1);
        ++evaluations;
        return std::vector<double>{static_cast<double>(a)};
      },
      oo);
  EXPECT_EQ(evaluations, 1);
  const FrozenTrial t1 = s.trial(1);
  ASSERT_TRUE(t1.system_attrs.contains("reused_from")) << t1.system_attrs.dump();
  EXPECT_EQ(t1.system_attrs["reused_from"].get<int64_t>(), 0);
  EXPECT_EQ(t1.params.count("b"), 0u);
}

TEST(StudyRepeats, SameMemberCountOtherValuesIsEvaluated) {
  // With and without a config_size_of: equal counts build the text, and the text decides.
  for (const bool with_size : {false, true}) {
    StudyOptions o = index_encoded(make_in_memory_storage(), {2, 4, 8});
    if (with_size) o.config_size_of = [](const FrozenTrial& t) { return t.params.size(); };
    Study s(o);
    s.enqueue_trial({{"w", 0}, {"v", 1}});
    s.enqueue_trial({{"w", 1}, {"v", 1}});
    s.enqueue_trial({{"w", 0}, {"v", 1}});
    std::vector<int64_t> evaluated;
    OptimizeOptions oo;
    oo.n_trials = 3;
    s.optimize(
        [&](Trial& t) {
          const auto w = t.suggest_int("w", 0, 2);
          t.suggest_int("v", 0, 2);
          evaluated.push_back(t.number());
          return std::vector<double>{static_cast<double>(w)};
        },
        oo);
    EXPECT_EQ(evaluated, (std::vector<int64_t>{0, 1})) << with_size;
    EXPECT_EQ(s.trial(2).system_attrs.value("reused_from", int64_t{-1}), 0) << with_size;
  }
}

TEST(StudyRepeats, ConfigSizeOfThatDisagreesWithConfigOfIsABug) {
  StudyOptions o = index_encoded(make_in_memory_storage(), {2, 4, 8});
  o.config_size_of = [](const FrozenTrial& t) { return t.params.size() + 1; };
  Study s(o);
  OptimizeOptions oo;
  oo.n_trials = 1;
  EXPECT_THROW(s.optimize(
                   [](Trial& t) {
                     return std::vector<double>{static_cast<double>(t.suggest_int("w", 0, 2))};
                   },
                   oo),
               InternalError);
}

namespace {

// What a study of `n` trials over a 4-configuration space keeps: each trial's number, params,
// state, values and reuse attribute, and the configurations the objective evaluated.
struct RepeatRun {
  std::vector<
      std::tuple<int64_t, std::map<std::string, double>, TrialState, std::vector<double>, Json>>
      trials;
  std::vector<std::pair<int64_t, int64_t>> evaluated;
  int64_t n_reused = 0;
};

RepeatRun run_small_space(bool by_return) {
  StudyOptions o;
  o.directions = {Direction::kMaximize};
  o.storage = make_in_memory_storage();
  o.sampler = make_sampler("tpe", Json{{"n_startup_trials", 3}}, 7);
  Study study(o);
  RepeatRun run;
  auto objective = [&](Trial& t) -> std::vector<double> {
    t.set_repeat_by_return(by_return);
    const int64_t a = t.suggest_int("a", 0, 1), b = t.suggest_int("b", 0, 1);
    if (t.repeat_of()) return {};
    run.evaluated.emplace_back(a, b);
    t.set_user_attr("sum", a + b);
    return {static_cast<double>(a * 2 + b)};
  };
  OptimizeOptions oo;
  oo.n_trials = 12;
  run.n_reused = study.optimize(objective, oo).n_reused;
  for (const auto& t : study.trials())
    run.trials.emplace_back(t.number, t.params, t.state, t.values,
                            t.system_attrs.value("reused_from", Json(nullptr)));
  return run;
}

}  // namespace

// Trial::set_repeat_by_return (chop's objective): a repeat ends by a return value, not an
// exception, and the study comes out exactly as with the exception.
TEST(StudyRepeats, RepeatByReturnGivesTheSameStudyAsTheException) {
  const RepeatRun thrown = run_small_space(false), returned = run_small_space(true);
  EXPECT_GT(thrown.n_reused, 0);
  EXPECT_EQ(thrown.n_reused, returned.n_reused);
  EXPECT_EQ(thrown.evaluated, returned.evaluated);
  EXPECT_EQ(thrown.trials, returned.trials);
  EXPECT_LE(returned.evaluated.size(), 4u);  // each configuration evaluated once
}

// An objective that goes on after repeat_of() is stopped at its next call to the trial, and the
// trial still reuses the earlier result (its own values are never recorded).
TEST(StudyRepeats, RepeatByReturnStopsAnObjectiveThatGoesOn) {
  StudyOptions o;
  o.directions = {Direction::kMaximize};
  o.storage = make_in_memory_storage();
  o.sampler = make_sampler("random", Json::object(), 0);
  Study study(o);
  int calls = 0, attrs_refused = 0;
  study.optimize(
      [&](Trial& t) -> std::vector<double> {
        t.set_repeat_by_return(true);
        t.suggest_int("a", 0, 0);
        ++calls;
        try {
          t.set_user_attr("x", 1);
        } catch (const DuplicateConfiguration&) {
          ++attrs_refused;
          throw;
        }
        return {1.0};
      },
      [] {
        OptimizeOptions oo;
        oo.n_trials = 3;
        return oo;
      }());
  const auto trials = study.trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(attrs_refused, 2);
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(trials[i].state, TrialState::kComplete);
    EXPECT_EQ(trials[i].system_attrs.value("reused_from", Json(-1)), 0);
    EXPECT_EQ(trials[i].values, std::vector<double>{1.0});
  }
}
