// Per-trial progress lines; see progress.h.
#include "strategy/progress.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "core/strings.h"

namespace chop::strategy {
namespace {

// 1500 -> "1,500"; 2.5e9 stays "2.5e+09".
std::string readable(double v) {
  return std::abs(v) < 1e12 && v == std::floor(v) ? with_thousands(static_cast<int64_t>(v))
                                                  : format_double(v);
}

}  // namespace

std::string progress_line(int64_t done, int64_t target, const search::FrozenTrial& t,
                          const SearchResults& results, double elapsed_s, double timeout_s) {
  std::string line = "[trial " + std::to_string(done) + "/" + std::to_string(target) + "] #" +
                     std::to_string(t.number) + " " + search::to_string(t.state);
  if (t.user_attrs.contains("violated_constraints")) {
    std::vector<std::string> v;
    for (auto it = t.user_attrs["violated_constraints"].begin();
         it != t.user_attrs["violated_constraints"].end(); ++it)
      v.push_back(it.key() + " " + readable(it.value()["value"].get<double>()) + " > " +
                  readable(it.value()["limit"].get<double>()));
    line += " (infeasible: " + join(v, ", ") + "; not trained)";
  }
  if (!t.values.empty()) {
    std::vector<std::string> v;
    for (double x : t.values) v.push_back(format_double(std::round(x * 1e4) / 1e4));
    line += " values [" + join(v, ", ") + "]";
  }
  if (!results.multi_objective()) {
    if (results.best_count() > 0)
      line += ", best " + format_double(std::round(results.best_value() * 1e4) / 1e4);
  } else {
    line += ", Pareto front " + std::to_string(results.best_count());
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, ", %.1fs", elapsed_s);
  line += buf;
  if (timeout_s > 0) {
    std::snprintf(buf, sizeof buf, " / timeout %.0fs", timeout_s);
    line += buf;
  }
  return line;
}

}  // namespace chop::strategy
