// Parameter distributions (Optuna's Float/Int/Categorical): the domain of one suggested
// parameter, its "internal" double representation (categorical -> choice index), finite-space
// enumeration and Optuna-compatible JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chop::search {

/// JSON type used for choices and attributes (ordered, like the config layer's values).
using Json = nlohmann::ordered_json;

class Distribution {
 public:
  enum class Kind { kFloat, kInt, kCategorical };

  /// float in [low, high]; `step` > 0 makes it discrete; `log` samples uniformly in ln-space.
  /// Throws UserError on an empty range, non-positive log bounds or log together with step.
  static Distribution make_float(double low, double high, std::optional<double> step = {},
                                 bool log = false);
  /// int in [low, high] with `step` >= 1 (high is rounded down onto the step grid); `log` needs
  /// low >= 1 and step == 1.
  static Distribution make_int(int64_t low, int64_t high, int64_t step = 1, bool log = false);
  /// Choices are JSON scalars (null, bool, number, string); must be non-empty. Other JSON values
  /// (lists, objects) are accepted and compared by value.
  static Distribution make_categorical(std::vector<Json> choices);

  Kind kind() const { return kind_; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_categorical() const { return kind_ == Kind::kCategorical; }
  /// Numeric bounds (int/float); for categorical: 0 and n_choices-1 (the index range).
  double low() const { return low_; }
  double high() const { return high_; }
  /// 0 when continuous.
  double step() const { return step_; }
  bool log() const { return log_; }
  const std::vector<Json>& choices() const { return choices_; }

  /// External value -> internal double. Categorical: index of the (first equal) choice; throws
  /// UserError naming the value if it is not a choice. Int/float: the number itself.
  double to_internal(const Json& external) const;
  /// Internal double -> external JSON value (choice, integer or float).
  Json to_external(double internal) const;
  /// Whether an internal value lies in the domain (on the step grid for discrete ones).
  bool contains(double internal) const;
  /// Exactly one possible value (Optuna's `single()`).
  bool single() const;
  /// Number of distinct values when finite (categorical, int, stepped float); nullopt otherwise.
  std::optional<uint64_t> size() const;
  /// The i-th value of a finite domain in ascending (index) order, as an internal value.
  double value_at(uint64_t i) const;
  /// Position of an internal value in a finite domain (inverse of value_at); -1 if absent.
  int64_t index_of(double internal) const;
  /// Snaps an internal value onto the domain (clip, round to the step grid, round ints).
  double snap(double internal) const;

  /// Optuna's JSON: {"name": "IntDistribution", "attributes": {...}} (readable by Optuna 3.x).
  Json to_json() const;
  static Distribution from_json(const Json& j);
  /// Short human description: "int [0, 3]", "float [1e-05, 1] log", "categorical [4, 8]".
  std::string describe() const;

  bool operator==(const Distribution& o) const;
  bool operator!=(const Distribution& o) const { return !(*this == o); }

 private:
  Kind kind_ = Kind::kFloat;
  double low_ = 0.0;
  double high_ = 0.0;
  double step_ = 0.0;
  bool log_ = false;
  std::vector<Json> choices_;
};

/// A named set of distributions (Optuna's search-space dict: relative and declared spaces), sorted
/// by name. Graph search spaces (MASE's) are space::GraphSpace.
using ParamSpace = std::map<std::string, Distribution>;

/// Number of configurations of a finite space (saturates at UINT64_MAX); nullopt if any
/// dimension is continuous.
std::optional<uint64_t> space_size(const ParamSpace& space);

/// Throws UserError when `b` is not compatible with an existing `a` for the same parameter name
/// (different kind or, for categorical, different choices: Optuna's "dynamic value space").
void check_compatible(const std::string& name, const Distribution& a, const Distribution& b);

}  // namespace chop::search
