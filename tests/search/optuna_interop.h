// Optuna 3.1 on chop's study storages (tests/search/optuna_study.py): run the script and check
// that what Optuna sees of a study equals what chop stored, field by field.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "search/trial.h"

namespace chop::testing {

/// Runs optuna_study.py with `args` (quote them yourself); stdout, or a test failure.
inline std::string run_optuna_script(const std::string& args) {
  const std::string cmd = "/usr/bin/python3 '" + std::string(CHOP_SOURCE_DIR) +
                          "/tests/search/optuna_study.py' " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    ADD_FAILURE() << "cannot run " << cmd;
    return "";
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd << "\n" << out;
  return out;
}

inline nlohmann::json optuna_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

inline nlohmann::json plain(const search::Json& j) {
  return nlohmann::json::parse(j.dump());
}

/// Every trial as chop holds it equals the trial as Optuna loaded it (`dump` from the script).
inline void expect_optuna_sees(const std::vector<search::FrozenTrial>& trials,
                               const nlohmann::json& dump) {
  ASSERT_EQ(dump["trials"].size(), trials.size());
  for (size_t i = 0; i < trials.size(); ++i) {
    const search::FrozenTrial& t = trials[i];
    const nlohmann::json& o = dump["trials"][i];
    SCOPED_TRACE("trial " + std::to_string(t.number));
    EXPECT_EQ(o["number"], t.number);
    EXPECT_EQ(o["state"], search::to_string(t.state));
    if (t.values.empty()) {
      EXPECT_TRUE(o["values"].is_null()) << o["values"];
    } else {
      nlohmann::json values = nlohmann::json::array();
      for (double v : t.values) values.push_back(optuna_number(v));
      EXPECT_EQ(o["values"], values);
    }
    EXPECT_EQ(o["params"], plain(t.params_json()));
    nlohmann::json dists = nlohmann::json::object();
    for (const auto& [name, d] : t.distributions) dists[name] = plain(d.to_json());
    EXPECT_EQ(o["distributions"], dists);
    nlohmann::json inter = nlohmann::json::object();
    for (const auto& [step, v] : t.intermediate_values)
      inter[std::to_string(step)] = optuna_number(v);
    EXPECT_EQ(o["intermediate_values"], inter);
    EXPECT_EQ(o["user_attrs"], plain(t.user_attrs));
    EXPECT_EQ(o["has_start"], t.datetime_start_ms > 0);
    EXPECT_EQ(o["has_complete"], t.datetime_complete_ms > 0);
  }
}

}  // namespace chop::testing
