// Sampler comparison (MASE lab 3: "compare brute force with TPE in terms of sample
// efficiency"): the same space searched by several samplers, each repeated with several seeds,
// one study each in one storage. Per sampler: the best value (one objective) or the
// hypervolume (several, one reference point for all) against trials and against wall time,
// median with the interquartile band over the repeats, and the trials each needed to reach the
// brute-force optimum.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report/page.h"
#include "report/study_data.h"

namespace chop::report {

/// The user attribute each study of a comparison carries:
/// {"group": name, "sampler": "tpe", "repeat": 0, "seed": 42, "exhausted": bool}.
inline constexpr const char* kComparisonAttr = "chop:comparison";

struct ComparisonRun {
  std::string sampler;
  int repeat = 0;
  uint64_t seed = 0;
  bool exhausted = false;  // the sampler ran out of configurations (brute force: saw them all)
  StudyData study;
};

struct ComparisonData {
  std::string group;
  std::string storage;
  std::vector<search::Direction> directions;
  std::vector<std::string> objective_names;
  std::vector<std::string> samplers;  // in first-seen order
  std::vector<ComparisonRun> runs;    // by sampler, then repeat
};

/// Comparison groups stored in `storage`, in study order.
std::vector<std::string> comparison_groups(search::Storage& storage);
/// Every study of `group` (UserError when there is none).
ComparisonData load_comparison(search::Storage& storage, const std::string& group);

/// A median line with its band over repeats, at the x positions.
struct Curve {
  std::string sampler;
  std::vector<double> x, median, q25, q75;
};

struct SamplerOutcome {
  std::string sampler;
  size_t n_repeats = 0;
  /// Per repeat: trials (counting every trial started, in number order) until the measure
  /// first reached the optimum; nullopt when it never did.
  std::vector<std::optional<int64_t>> trials_to_optimum;
  size_t n_reached = 0;
  double median_trials_to_optimum = NAN;  // over the repeats that reached it
  double median_final = NAN;              // the measure after each repeat's last trial
  double median_trials = NAN, median_seconds = NAN;
};

struct ComparisonResult {
  bool multi_objective = false;
  std::string measure;                        // "best accuracy (maximize)" or "hypervolume"
  double optimum = NAN;                       // of the measure
  std::string optimum_source;                 // where the optimum comes from, in words
  std::optional<search::Point> hv_reference;  // several objectives: loss-space reference
  std::vector<Curve> by_trials, by_seconds;
  std::vector<SamplerOutcome> outcomes;
};

ComparisonResult compare_samplers(const ComparisonData& data);

/// The comparison's page model and figures (same page as a study report).
StudyReport build_comparison_report(const ComparisonData& data);

/// Markdown table: sampler | repeats | trials to the optimum | reached | final | time.
std::string comparison_table(const ComparisonResult& result);

/// Quantile (linear interpolation between order statistics) of the finite values; NaN if none.
double quantile(std::vector<double> values, double q);

}  // namespace chop::report
