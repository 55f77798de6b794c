// Trial states and the FrozenTrial record.
#include "search/trial.h"

#include <chrono>

#include "core/error.h"
#include "core/strings.h"

namespace chop::search {

const char* to_string(TrialState s) {
  switch (s) {
    case TrialState::kRunning:
      return "RUNNING";
    case TrialState::kComplete:
      return "COMPLETE";
    case TrialState::kPruned:
      return "PRUNED";
    case TrialState::kFail:
      return "FAIL";
    case TrialState::kWaiting:
      return "WAITING";
  }
  return "?";
}

TrialState parse_trial_state(const std::string& s) {
  const std::string l = to_lower(s);
  if (l == "running") return TrialState::kRunning;
  if (l == "complete") return TrialState::kComplete;
  if (l == "pruned") return TrialState::kPruned;
  if (l == "fail") return TrialState::kFail;
  if (l == "waiting") return TrialState::kWaiting;
  throw UserError("unknown trial state '" + s +
                  "' (expected RUNNING, COMPLETE, PRUNED, FAIL or WAITING)");
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Json FrozenTrial::param(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end())
    throw UserError("trial " + std::to_string(number) + " has no parameter '" + name + "'");
  return distributions.at(name).to_external(it->second);
}

Json FrozenTrial::params_json() const {
  Json j = Json::object();
  for (const auto& [name, v] : params) j[name] = distributions.at(name).to_external(v);
  return j;
}

double FrozenTrial::value() const {
  if (values.size() != 1)
    throw UserError("trial " + std::to_string(number) + " has " + std::to_string(values.size()) +
                    " values; value() needs exactly one (use values for multi-objective)");
  return values[0];
}

std::optional<int64_t> FrozenTrial::last_step() const {
  if (intermediate_values.empty()) return std::nullopt;
  return intermediate_values.rbegin()->first;
}

}  // namespace chop::search
