// The one-line progress report `chop search` prints after every finished trial.
#pragma once

#include <cstdint>
#include <string>

#include "search/trial.h"
#include "strategy/search_results.h"

namespace chop::strategy {

/// "[trial 3/20] #2 COMPLETE values [0.2, 0.8], Pareto front 2, 0.1s / timeout 20000s"; an
/// infeasible trial names its violated budgets.
std::string progress_line(int64_t done, int64_t target, const search::FrozenTrial& t,
                          const SearchResults& results, double elapsed_s, double timeout_s);

}  // namespace chop::strategy
