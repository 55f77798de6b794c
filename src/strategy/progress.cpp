// Per-trial progress lines; see progress.h.
#include "strategy/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/strings.h"
#include "train/progress.h"

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

std::string rate_and_eta(int64_t ran, int64_t remaining, double elapsed_s, double timeout_s) {
  if (ran <= 0 || elapsed_s <= 0) return "";
  const double rate = static_cast<double>(ran) / elapsed_s;
  double eta = static_cast<double>(std::max<int64_t>(0, remaining)) / rate;
  if (timeout_s > 0) eta = std::min(eta, std::max(0.0, timeout_s - elapsed_s));
  char buf[64];
  std::snprintf(buf, sizeof buf, rate >= 10 ? "%.0f trials/s" : "%.2g trials/s", rate);
  return std::string(buf) + ", ETA " + train::Progress::format_duration(eta);
}

TrialProgress::TrialProgress(Sink print, Sink status, int64_t target, int64_t already_finished,
                             double timeout_s, std::string prefix)
    : print_(std::move(print)),
      status_(std::move(status)),
      target_(target),
      already_(already_finished),
      timeout_s_(timeout_s),
      prefix_(std::move(prefix)),
      t0_(Clock::now()),
      last_status_(t0_) {}

void TrialProgress::on_trial(const search::FrozenTrial& t, const SearchResults& results) {
  ++ran_;
  const auto now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - t0_).count();
  const int64_t done = already_ + ran_;
  const std::string line = prefix_ + progress_line(done, target_, t, results, elapsed, timeout_s_);
  if (!status_) {
    const std::string rate = rate_and_eta(ran_, target_ - done, elapsed, timeout_s_);
    if (print_) print_(rate.empty() ? line : line + ", " + rate);
    return;
  }
  const bool event = results.best_changes() != best_changes_ ||
                     t.state == search::TrialState::kFail ||
                     t.user_attrs.contains("violated_constraints");
  best_changes_ = results.best_changes();
  if (event && print_) print_(line);
  if (std::chrono::duration<double>(now - last_status_).count() >= 0.1 || done >= target_ ||
      event) {
    status_(prefix_ + progress_status(done, target_, results, ran_, elapsed, timeout_s_));
    last_status_ = now;
    status_shown_ = true;
  }
}

void TrialProgress::finish() {
  if (status_ && status_shown_) status_("");
  status_shown_ = false;
}

std::string progress_status(int64_t done, int64_t target, const SearchResults& results, int64_t ran,
                            double elapsed_s, double timeout_s) {
  std::string line = "[trial " + std::to_string(done) + "/" + std::to_string(target) + "] ";
  if (!results.multi_objective())
    line += results.best_count() > 0
                ? "best " + format_double(std::round(results.best_value() * 1e4) / 1e4)
                : "no complete trial yet";
  else
    line += "Pareto front " + std::to_string(results.best_count());
  const std::string rate = rate_and_eta(ran, target - done, elapsed_s, timeout_s);
  if (!rate.empty()) line += " | " + rate;
  return line;
}

}  // namespace chop::strategy
