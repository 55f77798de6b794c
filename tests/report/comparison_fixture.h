// A sampler comparison made by the real search engine, as `chop search --compare-samplers`
// stores it: one study per sampler and repeat in one storage, each tagged chop:comparison.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "report/comparison.h"
#include "search/sampler_registry.h"
#include "search/study.h"

namespace chop::testing {

/// Searches x in 0..9 and a choice of 4 (40 configurations); one objective (minimise
/// (x-7)^2 + penalty) or two (that and x).
inline void run_comparison(std::shared_ptr<search::Storage> storage, const std::string& group,
                           const std::vector<std::string>& samplers, int repeats, int n_trials,
                           bool two_objectives = false) {
  for (const auto& sampler : samplers)
    for (int r = 0; r < repeats; ++r) {
      search::StudyOptions o;
      o.name = group + "/" + sampler + "/" + std::to_string(r);
      o.directions.assign(two_objectives ? 2 : 1, search::Direction::kMinimize);
      o.storage = storage;
      o.seed = 100 + static_cast<uint64_t>(r);
      o.sampler = search::make_sampler(sampler, search::Json::object(), o.seed);
      o.reuse_duplicates = false;
      search::Study study(o);
      study.declare_search_space(
          {{"x", search::Distribution::make_int(0, 9)},
           {"c", search::Distribution::make_categorical({"a", "b", "c", "d"})}});
      search::OptimizeOptions oo;
      oo.n_trials = n_trials;
      const auto summary = study.optimize(
          [two_objectives](search::Trial& t) -> std::vector<double> {
            const auto x = t.suggest_int("x", 0, 9);
            const auto c = t.suggest_categorical("c", {"a", "b", "c", "d"});
            const double f = (x - 7.0) * (x - 7.0) + (c == "b" ? 0.0 : 3.0);
            if (two_objectives) return {f, static_cast<double>(x)};
            return {f};
          },
          oo);
      const int64_t id = *storage->study_id_from_name(o.name);
      storage->set_study_user_attr(id, report::kComparisonAttr,
                                   {{"group", group},
                                    {"sampler", sampler},
                                    {"repeat", r},
                                    {"seed", o.seed},
                                    {"exhausted", summary.exhausted}});
    }
}

}  // namespace chop::testing
