// Helpers for the search-space tests: models, a SpaceSetup from a TOML-like JSON table, and
// catching the ConfigError a bad table must raise.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "models/zoo.h"
#include "space/graph_space.h"

namespace chop::space::test_util {

inline graph::Graph jsc_three() {
  return models::build_jsc_three_linear_layers({});
}
inline graph::Graph vgg7() {
  models::ModelOptions o;
  o.image_input = true;
  o.n_classes = 10;
  return models::build_vgg7(o);
}

inline SpaceSetup setup_for(const graph::Graph& g, const Json& table, uint64_t seed = 0) {
  SpaceSetup s;
  s.base = &g;
  s.table = table;
  s.seed = seed;
  return s;
}

/// The message of the ConfigError that making the space must throw ("" and a failure if none).
inline std::string space_error(const graph::Graph& g, const Json& table) {
  try {
    make_graph_space(setup_for(g, table));
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for " << table.dump();
  return "";
}

inline int64_t lin(int64_t i, int64_t o) {
  return i * o + o;
}
inline int64_t conv3(int64_t i, int64_t o) {
  return i * o * 9 + o;
}
inline int64_t bn(int64_t c) {
  return 2 * c;
}

}  // namespace chop::space::test_util
