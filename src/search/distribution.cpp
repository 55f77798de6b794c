// Distributions: validation, internal/external conversion and Optuna-compatible JSON.
#include "search/distribution.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/strings.h"

namespace chop::search {
namespace {

std::string num(double v) {
  return format_double(v);
}

// Optuna shrinks `high` onto the step grid; do it in a way that survives 0.1-style steps.
double adjust_high(double low, double high, double step) {
  const double n = std::floor((high - low) / step + 1e-9);
  double adjusted = low + n * step;
  if (adjusted > high) adjusted = high;  // rounding noise only
  if (std::fabs(adjusted - high) < 1e-12 * std::max(1.0, std::fabs(high))) adjusted = high;
  return adjusted;
}

}  // namespace

Distribution Distribution::make_float(double low, double high, std::optional<double> step,
                                      bool log) {
  if (!std::isfinite(low) || !std::isfinite(high))
    throw UserError("float distribution bounds must be finite, got [" + num(low) + ", " +
                    num(high) + "]");
  if (low > high)
    throw UserError("float distribution needs low <= high, got [" + num(low) + ", " + num(high) +
                    "]");
  if (log && step)
    throw UserError("float distribution cannot be both log-scaled and stepped (step " + num(*step) +
                    ")");
  if (log && low <= 0.0)
    throw UserError("log-scaled float distribution needs low > 0, got " + num(low));
  if (step && !(*step > 0.0))
    throw UserError("float distribution step must be > 0, got " + num(*step));
  Distribution d;
  d.kind_ = Kind::kFloat;
  d.low_ = low;
  d.high_ = step ? adjust_high(low, high, *step) : high;
  d.step_ = step ? *step : 0.0;
  d.log_ = log;
  return d;
}

Distribution Distribution::make_int(int64_t low, int64_t high, int64_t step, bool log) {
  if (low > high)
    throw UserError("int distribution needs low <= high, got [" + std::to_string(low) + ", " +
                    std::to_string(high) + "]");
  if (step < 1) throw UserError("int distribution step must be >= 1, got " + std::to_string(step));
  if (log && low < 1)
    throw UserError("log-scaled int distribution needs low >= 1, got " + std::to_string(low));
  if (log && step != 1)
    throw UserError("log-scaled int distribution needs step 1, got " + std::to_string(step));
  Distribution d;
  d.kind_ = Kind::kInt;
  d.low_ = static_cast<double>(low);
  d.high_ = static_cast<double>(low + (high - low) / step * step);
  d.step_ = static_cast<double>(step);
  d.log_ = log;
  return d;
}

Distribution Distribution::make_categorical(std::vector<Json> choices) {
  if (choices.empty()) throw UserError("categorical distribution needs at least one choice");
  Distribution d;
  d.kind_ = Kind::kCategorical;
  d.low_ = 0.0;
  d.high_ = static_cast<double>(choices.size() - 1);
  d.step_ = 1.0;
  d.choices_ = std::move(choices);
  return d;
}

double Distribution::to_internal(const Json& external) const {
  if (kind_ == Kind::kCategorical) {
    for (size_t i = 0; i < choices_.size(); ++i)
      if (choices_[i] == external) return static_cast<double>(i);
    throw UserError("value " + external.dump() + " is not one of the choices " +
                    Json(choices_).dump());
  }
  if (!external.is_number())
    throw UserError("expected a number for " + describe() + ", got " + external.dump());
  return external.get<double>();
}

Json Distribution::to_external(double internal) const {
  switch (kind_) {
    case Kind::kCategorical: {
      const auto i = static_cast<int64_t>(std::llround(internal));
      CHOP_ASSERT(i >= 0 && i < static_cast<int64_t>(choices_.size()),
                  "categorical index out of range");
      return choices_[static_cast<size_t>(i)];
    }
    case Kind::kInt:
      return Json(static_cast<int64_t>(std::llround(internal)));
    case Kind::kFloat:
      break;
  }
  return Json(internal);
}

bool Distribution::contains(double v) const {
  if (std::isnan(v)) return false;
  switch (kind_) {
    case Kind::kCategorical:
      return v >= 0 && v <= high_ && v == std::floor(v);
    case Kind::kInt:
      return v >= low_ && v <= high_ && v == std::floor(v) && std::fmod(v - low_, step_) == 0.0;
    case Kind::kFloat:
      if (v < low_ || v > high_) return false;
      if (step_ == 0.0) return true;
      {
        const double k = (v - low_) / step_;
        return std::fabs(k - std::round(k)) < 1e-8;
      }
  }
  return false;
}

bool Distribution::single() const {
  if (kind_ == Kind::kCategorical) return choices_.size() == 1;
  if (low_ == high_) return true;
  if (log_ || step_ == 0.0) return false;
  return high_ - low_ < step_;
}

std::optional<uint64_t> Distribution::size() const {
  if (kind_ == Kind::kCategorical) return choices_.size();
  if (single()) return 1;
  if (step_ == 0.0) return std::nullopt;
  return static_cast<uint64_t>(std::llround((high_ - low_) / step_)) + 1;
}

double Distribution::value_at(uint64_t i) const {
  if (kind_ == Kind::kCategorical) return static_cast<double>(i);
  if (step_ == 0.0) return low_;  // single-valued continuous
  const double v = low_ + static_cast<double>(i) * step_;
  return v > high_ ? high_ : v;
}

int64_t Distribution::index_of(double v) const {
  if (!contains(v)) return -1;
  if (kind_ == Kind::kCategorical) return static_cast<int64_t>(v);
  if (step_ == 0.0) return 0;
  return static_cast<int64_t>(std::llround((v - low_) / step_));
}

double Distribution::snap(double v) const {
  if (std::isnan(v)) return low_;
  v = std::min(std::max(v, low_), high_);
  if (step_ > 0.0) {
    v = low_ + std::round((v - low_) / step_) * step_;
    v = std::min(std::max(v, low_), high_);
  }
  return v;
}

Json Distribution::to_json() const {
  Json j;
  switch (kind_) {
    case Kind::kCategorical:
      j["name"] = "CategoricalDistribution";
      j["attributes"] = {{"choices", choices_}};
      break;
    case Kind::kInt:
      j["name"] = "IntDistribution";
      j["attributes"] = {{"log", log_},
                         {"step", static_cast<int64_t>(step_)},
                         {"low", static_cast<int64_t>(low_)},
                         {"high", static_cast<int64_t>(high_)}};
      break;
    case Kind::kFloat:
      j["name"] = "FloatDistribution";
      j["attributes"] = {{"step", step_ > 0 ? Json(step_) : Json(nullptr)},
                         {"low", low_},
                         {"high", high_},
                         {"log", log_}};
      break;
  }
  return j;
}

Distribution Distribution::from_json(const Json& j) {
  if (!j.is_object() || !j.contains("name") || !j.contains("attributes"))
    throw UserError("not a distribution JSON object: " + j.dump());
  const std::string name = j.at("name").get<std::string>();
  const Json& a = j.at("attributes");
  if (name == "CategoricalDistribution")
    return make_categorical(a.at("choices").get<std::vector<Json>>());
  if (name == "IntDistribution")
    return make_int(a.at("low").get<int64_t>(), a.at("high").get<int64_t>(),
                    a.value("step", int64_t{1}), a.value("log", false));
  if (name == "FloatDistribution") {
    std::optional<double> step;
    if (a.contains("step") && !a.at("step").is_null()) step = a.at("step").get<double>();
    return make_float(a.at("low").get<double>(), a.at("high").get<double>(), step,
                      a.value("log", false));
  }
  throw UserError("unknown distribution '" + name +
                  "' (expected FloatDistribution, IntDistribution or CategoricalDistribution)");
}

std::string Distribution::describe() const {
  switch (kind_) {
    case Kind::kCategorical:
      return "categorical " + Json(choices_).dump();
    case Kind::kInt: {
      std::string s = "int [" + num(low_) + ", " + num(high_) + "]";
      if (step_ != 1.0) s += " step " + num(step_);
      if (log_) s += " log";
      return s;
    }
    case Kind::kFloat: {
      std::string s = "float [" + num(low_) + ", " + num(high_) + "]";
      if (step_ > 0) s += " step " + num(step_);
      if (log_) s += " log";
      return s;
    }
  }
  return "?";
}

bool Distribution::operator==(const Distribution& o) const {
  return kind_ == o.kind_ && low_ == o.low_ && high_ == o.high_ && step_ == o.step_ &&
         log_ == o.log_ && choices_ == o.choices_;
}

std::optional<uint64_t> space_size(const ParamSpace& space) {
  uint64_t total = 1;
  for (const auto& [name, dist] : space) {
    const auto n = dist.size();
    if (!n) return std::nullopt;
    if (*n != 0 && total > std::numeric_limits<uint64_t>::max() / *n)
      total = std::numeric_limits<uint64_t>::max();
    else
      total *= *n;
  }
  return total;
}

void check_compatible(const std::string& name, const Distribution& a, const Distribution& b) {
  if (a.kind() != b.kind())
    throw UserError("parameter '" + name + "' was suggested as " + a.describe() + " and now as " +
                    b.describe() + "; a parameter keeps its type in a study");
  if (a.is_categorical() && a.choices() != b.choices())
    throw UserError("parameter '" + name + "' was suggested with choices " +
                    Json(a.choices()).dump() + " and now with " + Json(b.choices()).dump() +
                    "; the choice list of a parameter cannot change within a study");
}

}  // namespace chop::search
