// Internal to the profiler's stats: the parsed keyword arguments of one stat (stats_config.cpp
// parses and checks them; stats.cpp builds the stat).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "passes/analysis/stats.h"

namespace chop::passes::detail {

/// MASE's `dims`: "all" (reduce everything), None (per element), or the dims to reduce.
struct Dims {
  enum Kind { kAll, kNone, kList } kind = kAll;
  std::vector<int64_t> list;
};

struct StatSpec {
  std::string name;
  Dims dims;
  bool abs = false;
  bool online = true;  // range_n_sigma var_mode
  double num_sigma = 3;
  double quantile = 0.975;
  bool add_new_dim = false;  // record
};

std::unique_ptr<Stat> create_stat(const StatSpec& spec);

}  // namespace chop::passes::detail
