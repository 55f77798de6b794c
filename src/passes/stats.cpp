// The profiler's stats; see stats.h. Values are accumulated in float64 on the CPU (MASE: float32
// on `device`), so results agree with MASE's to float32 rounding.
#include "passes/stats.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/strings.h"

namespace chop::passes {
namespace {

const Json kNA = "NA";

struct Dims {
  enum Kind { kAll, kNone, kList } kind = kAll;
  std::vector<int64_t> list;
};

at::Tensor to_double(const at::Tensor& t) {
  return t.detach().to(at::kCPU).to(at::kDouble);
}

// MASE's _reshape_a_sample: kept dims first, reduced dims flattened into the last one.
at::Tensor reshape_reduced(const at::Tensor& s, const std::vector<int64_t>& dims) {
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < s.dim(); ++i)
    if (std::find(dims.begin(), dims.end(), i) == dims.end()) perm.push_back(i);
  const int64_t kept = static_cast<int64_t>(perm.size());
  perm.insert(perm.end(), dims.begin(), dims.end());
  return s.permute(perm).flatten(kept, -1);
}

Json count_or_na(bool ok, const at::Tensor& v) {
  return ok ? tensor_to_json(v) : kNA;
}

// Welford over whole tensors (MASE's dims None / list modes).
struct Welford {
  int64_t count = 0;
  at::Tensor mean, m;
  void update(const at::Tensor& x) {
    count += 1;
    if (!mean.defined()) {
      mean = at::zeros_like(x);
      m = at::zeros_like(x);
    }
    at::Tensor delta = x - mean;
    mean = mean + delta / static_cast<double>(count);
    m = m + delta * (x - mean);
  }
};

class Record : public Stat {
 public:
  explicit Record(bool add_new_dim, std::string name = "record")
      : Stat(std::move(name)), add_new_dim_(add_new_dim) {}
  void update_sample(const at::Tensor& s) override {
    at::Tensor x = to_double(s);
    parts_.push_back(add_new_dim_ ? x.unsqueeze(0) : x);
    count_ += 1;
  }
  void update_batch(const at::Tensor& batch) override {
    if (!add_new_dim_) return Stat::update_batch(batch);
    parts_.push_back(to_double(batch).unsqueeze(1));  // = the rows [1, ...] stacked
    count_ += batch.size(0);
  }
  Json compute() override {
    at::Tensor d = data();
    return Json{{"data", tensor_to_json(d)}, {"count", count_}, {"size_in_bytes", d.numel() * 4}};
  }

 protected:
  at::Tensor data() const { return parts_.empty() ? at::empty({0}, at::kDouble) : at::cat(parts_); }
  bool add_new_dim_;
  std::vector<at::Tensor> parts_;
  int64_t count_ = 0;
};

class VarianceOnline : public Stat {
 public:
  explicit VarianceOnline(Dims dims) : Stat("variance_online"), dims_(std::move(dims)) {}
  void update_sample(const at::Tensor& s) override {
    at::Tensor x = to_double(s);
    if (dims_.kind == Dims::kAll) {
      merge(x.numel(), x.mean().item<double>(),
            x.numel() > 1 ? x.var().item<double>() : std::numeric_limits<double>::quiet_NaN());
    } else if (dims_.kind == Dims::kNone) {
      w_.update(x);
    } else {
      at::Tensor r = reshape_reduced(x, dims_.list);
      for (int64_t i = 0; i < r.size(-1); ++i) w_.update(r.select(-1, i));
    }
  }
  void update_batch(const at::Tensor& batch) override {
    if (dims_.kind != Dims::kAll) return Stat::update_batch(batch);
    at::Tensor x = to_double(batch).reshape({batch.size(0), -1});
    const int64_t n_b = x.size(1);
    at::Tensor means = x.mean(1);
    at::Tensor vars = n_b > 1 ? x.var(1) : at::full({x.size(0)}, NAN, at::kDouble);
    auto pm = means.accessor<double, 1>();
    auto pv = vars.accessor<double, 1>();
    for (int64_t i = 0; i < x.size(0); ++i) merge(n_b, pm[i], pv[i]);
  }
  /// mean, population variance m / count and count; false when count < 2 (MASE: "NA").
  bool moments(at::Tensor& mean, at::Tensor& var, int64_t& count) const {
    if (dims_.kind == Dims::kAll) {
      count = count_;
      mean = at::scalar_tensor(mean_, at::kDouble);
      var = at::scalar_tensor(m_ / static_cast<double>(count_), at::kDouble);
    } else {
      count = w_.count;
      if (count >= 2) {
        mean = w_.mean;
        var = w_.m / static_cast<double>(count);
      }
    }
    return count >= 2;
  }
  Json compute() override {
    at::Tensor mean, var;
    int64_t count = 0;
    if (!moments(mean, var, count)) return Json{{"mean", kNA}, {"variance", kNA}};
    return Json{
        {"mean", tensor_to_json(mean)}, {"variance", tensor_to_json(var)}, {"count", count}};
  }

 private:
  // MASE's chunk merge: m += var_b * n_b + delta^2 * count * n_b / (count + n_b), with var_b
  // torch's unbiased variance (so the result is not exactly the population variance).
  void merge(int64_t n_b, double mean_b, double var_b) {
    const double n = static_cast<double>(count_), nb = static_cast<double>(n_b);
    const double delta = mean_b - mean_;
    mean_ += delta * nb / (n + nb);
    m_ += var_b * nb + delta * delta * n * nb / (n + nb);
    count_ += n_b;
  }
  Dims dims_;
  int64_t count_ = 0;
  double mean_ = 0, m_ = 0;
  Welford w_;
};

class VariancePrecise : public Record {
 public:
  explicit VariancePrecise(Dims dims) : Record(true, "variance_precise"), dims_(std::move(dims)) {}
  /// torch.var (unbiased) and mean over the recorded samples; false when MASE gives "NA".
  bool moments(at::Tensor& mean, at::Tensor& var, int64_t& count) const {
    at::Tensor d = data();
    if (dims_.kind == Dims::kAll) {
      count = d.numel();
      var = d.var();
      mean = d.mean();
      return true;
    }
    std::vector<int64_t> red{0};
    count = d.size(0);
    if (dims_.kind == Dims::kList) {
      for (auto x : dims_.list) {
        red.push_back(x + 1);
        count *= d.size(x + 1);
      }
    }
    if (count < 2) return false;
    var = d.var(red);
    mean = d.mean(red);
    return true;
  }
  Json compute() override {
    at::Tensor mean, var;
    int64_t count = 0;
    if (!moments(mean, var, count)) return Json{{"mean", kNA}, {"variance", kNA}, {"count", count}};
    return Json{
        {"mean", tensor_to_json(mean)}, {"variance", tensor_to_json(var)}, {"count", count}};
  }

 private:
  Dims dims_;
};

class RangeNSigma : public Stat {
 public:
  RangeNSigma(Dims dims, bool abs, bool online, double num_sigma)
      : Stat("range_n_sigma"),
        abs_(abs),
        online_(online),
        num_sigma_(num_sigma),
        online_stat_(dims),
        precise_stat_(dims) {}
  void update_sample(const at::Tensor& s) override {
    at::Tensor x = abs_ ? s.abs() : s;
    if (online_)
      online_stat_.update_sample(x);
    else
      precise_stat_.update_sample(x);
  }
  void update_batch(const at::Tensor& b) override {
    at::Tensor x = abs_ ? b.abs() : b;
    if (online_)
      online_stat_.update_batch(x);
    else
      precise_stat_.update_batch(x);
  }
  Json compute() override {
    at::Tensor mean, var;
    int64_t count = 0;
    bool ok =
        online_ ? online_stat_.moments(mean, var, count) : precise_stat_.moments(mean, var, count);
    if (!ok) return Json{{"min", kNA}, {"max", kNA}, {"range", kNA}, {"count", count}};
    at::Tensor sigma = var.sqrt();
    at::Tensor lo = mean - num_sigma_ * sigma, hi = mean + num_sigma_ * sigma;
    return Json{{"min", tensor_to_json(lo)},
                {"max", tensor_to_json(hi)},
                {"range", tensor_to_json(hi - lo)},
                {"count", count}};
  }

 private:
  bool abs_, online_;
  double num_sigma_;
  VarianceOnline online_stat_;
  VariancePrecise precise_stat_;
};

class RangeMinMax : public Stat {
 public:
  RangeMinMax(Dims dims, bool abs) : Stat("range_min_max"), dims_(std::move(dims)), abs_(abs) {}
  void update_sample(const at::Tensor& s) override {
    at::Tensor x = to_double(s);
    if (abs_) x = x.abs();
    at::Tensor lo, hi;
    if (dims_.kind == Dims::kAll) {
      lo = x.min();
      hi = x.max();
      count_ += x.numel();
    } else if (dims_.kind == Dims::kNone) {
      lo = hi = x;
      count_ += 1;
    } else {
      lo = x.amin(dims_.list);
      hi = x.amax(dims_.list);
      int64_t n = 1;
      for (auto d : dims_.list) n *= x.size(d);
      count_ += n;
    }
    min_ = min_.defined() ? at::minimum(min_, lo) : lo;
    max_ = max_.defined() ? at::maximum(max_, hi) : hi;
  }
  void update_batch(const at::Tensor& b) override {
    if (dims_.kind != Dims::kAll) return Stat::update_batch(b);
    update_sample(b);  // the min/max over all rows equals the running one
  }
  Json compute() override {
    // MASE keeps min/max even when count < 2 and only drops the range.
    return Json{{"min", count_or_na(min_.defined(), min_)},
                {"max", count_or_na(max_.defined(), max_)},
                {"range", count_ < 2 ? kNA : tensor_to_json(max_ - min_)},
                {"count", count_}};
  }

 private:
  Dims dims_;
  bool abs_;
  at::Tensor min_, max_;
  int64_t count_ = 0;
};

class RangeQuantile : public Record {
 public:
  RangeQuantile(Dims dims, bool abs, double q)
      : Record(true, "range_quantile"), dims_(std::move(dims)), abs_(abs), q_(q) {}
  Json compute() override {
    at::Tensor d = data();
    if (abs_) d = d.abs();
    at::Tensor lo, hi;
    int64_t count = 0;
    if (dims_.kind == Dims::kAll) {
      at::Tensor f = d.flatten();
      lo = at::quantile(f, 1.0 - q_);
      hi = at::quantile(f, q_);
      count = d.numel();
    } else if (dims_.kind == Dims::kNone) {
      count = d.size(0);
      if (count < 2) return Json{{"min", kNA}, {"max", kNA}, {"range", kNA}, {"count", count}};
      lo = at::quantile(d, 1.0 - q_, 0);
      hi = at::quantile(d, q_, 0);
    } else {
      std::vector<int64_t> red{0};
      for (auto x : dims_.list) red.push_back(x + 1);
      at::Tensor r = reshape_reduced(d, red);
      lo = at::quantile(r, 1.0 - q_, -1);
      hi = at::quantile(r, q_, -1);
      count = r.size(-1);
    }
    return Json{{"min", tensor_to_json(lo)},
                {"max", tensor_to_json(hi)},
                {"range", tensor_to_json(hi - lo)},
                {"count", count}};
  }

 private:
  Dims dims_;
  bool abs_;
  double q_;
};

class AbsMean : public Stat {
 public:
  explicit AbsMean(Dims dims) : Stat("abs_mean"), dims_(std::move(dims)) {}
  void update_sample(const at::Tensor& s) override {
    at::Tensor x = to_double(s);
    if (dims_.kind == Dims::kAll) {
      merge(x.numel(), x.abs().mean().item<double>());
    } else if (dims_.kind == Dims::kNone) {
      step(x);
    } else {
      at::Tensor r = reshape_reduced(x, dims_.list);
      for (int64_t i = 0; i < r.size(-1); ++i) step(r.select(-1, i));
    }
  }
  void update_batch(const at::Tensor& b) override {
    if (dims_.kind != Dims::kAll) return Stat::update_batch(b);
    at::Tensor x = to_double(b).reshape({b.size(0), -1});
    at::Tensor means = x.abs().mean(1);
    auto pm = means.accessor<double, 1>();
    for (int64_t i = 0; i < x.size(0); ++i) merge(x.size(1), pm[i]);
  }
  Json compute() override {
    if (count_ < 2) return Json{{"abs_mean", kNA}};
    at::Tensor m = dims_.kind == Dims::kAll ? at::scalar_tensor(mean_, at::kDouble) : tmean_;
    return Json{{"abs_mean", tensor_to_json(m)}, {"count", count_}};
  }

 private:
  void merge(int64_t n_b, double mean_b) {
    const double n = static_cast<double>(count_), nb = static_cast<double>(n_b);
    mean_ = 1.0 / (n + nb) * (n * mean_ + nb * mean_b);
    count_ += n_b;
  }
  void step(const at::Tensor& x) {
    count_ += 1;
    const double c = static_cast<double>(count_);
    tmean_ = tmean_.defined() ? (1.0 / c) * ((c - 1) * tmean_ + x.abs()) : x.abs();
  }
  Dims dims_;
  int64_t count_ = 0;
  double mean_ = 0;
  at::Tensor tmean_;
};

Dims parse_dims(const Json& kw, const std::string& where) {
  Dims d;
  if (!kw.contains("dims")) return d;
  const Json& v = kw["dims"];
  if (v.is_null()) {
    d.kind = Dims::kNone;
  } else if (v.is_string() && v.get<std::string>() == "all") {
    d.kind = Dims::kAll;
  } else if (v.is_array() && !v.empty()) {
    d.kind = Dims::kList;
    for (const auto& e : v) {
      if (!e.is_number_integer() || e.get<int64_t>() < 0)
        throw ConfigError(where, "dims must be \"all\", \"NA\" or a list of dimension indices");
      d.list.push_back(e.get<int64_t>());
    }
    std::sort(d.list.begin(), d.list.end());
  } else {
    throw ConfigError(
        where, "dims must be \"all\", \"NA\" or a list of dimension indices, got " + v.dump());
  }
  return d;
}

bool get_bool(const Json& kw, const std::string& key, bool def, const std::string& where) {
  if (!kw.contains(key) || kw[key].is_null()) return def;
  if (!kw[key].is_boolean()) throw ConfigError(where, "'" + key + "' must be true or false");
  return kw[key].get<bool>();
}

double get_number(const Json& kw, const std::string& key, double def, const std::string& where) {
  if (!kw.contains(key) || kw[key].is_null()) return def;
  if (!kw[key].is_number()) throw ConfigError(where, "'" + key + "' must be a number");
  return kw[key].get<double>();
}

}  // namespace

void Stat::update_batch(const at::Tensor& batch) {
  for (int64_t i = 0; i < batch.size(0); ++i) update_sample(batch.narrow(0, i, 1));
}

const std::vector<std::string>& stat_names() {
  static const std::vector<std::string> names = {
      "record",        "variance_online", "variance_precise", "range_n_sigma",
      "range_min_max", "range_quantile",  "abs_mean"};
  return names;
}

std::unique_ptr<Stat> make_stat(const std::string& name, const Json& kwargs,
                                const std::string& where) {
  static const std::map<std::string, std::vector<std::string>> allowed = {
      {"record", {"device", "add_new_dim_before_concat"}},
      {"variance_online", {"device", "dims"}},
      {"variance_precise", {"device", "dims"}},
      {"range_n_sigma", {"device", "dims", "abs", "var_mode", "num_sigma"}},
      {"range_min_max", {"device", "dims", "abs"}},
      {"range_quantile", {"device", "dims", "abs", "quantile"}},
      {"abs_mean", {"device", "dims"}},
  };
  auto it = allowed.find(name);
  if (it == allowed.end())
    throw ConfigError(where, "unknown statistic '" + name + "'" + did_you_mean(name, stat_names()) +
                                 "; available: " + list_of(stat_names()));
  const Json kw = kwargs.is_null() ? Json::object() : kwargs;
  if (!kw.is_object())
    throw ConfigError(where, "statistic '" + name + "' needs a table of keyword arguments");
  for (auto k = kw.begin(); k != kw.end(); ++k)
    if (std::find(it->second.begin(), it->second.end(), k.key()) == it->second.end())
      throw ConfigError(where, "statistic '" + name + "' has no argument '" + k.key() + "'" +
                                   did_you_mean(k.key(), it->second) + "; it takes " +
                                   list_of(it->second));
  Dims dims = parse_dims(kw, where);
  if (name == "record")
    return std::make_unique<Record>(get_bool(kw, "add_new_dim_before_concat", false, where));
  if (name == "variance_online") return std::make_unique<VarianceOnline>(dims);
  if (name == "variance_precise") return std::make_unique<VariancePrecise>(dims);
  if (name == "range_n_sigma") {
    std::string mode = kw.value("var_mode", std::string("online"));
    if (mode != "online" && mode != "precise")
      throw ConfigError(where, "var_mode must be \"online\" or \"precise\", got \"" + mode + "\"");
    return std::make_unique<RangeNSigma>(dims, get_bool(kw, "abs", false, where), mode == "online",
                                         get_number(kw, "num_sigma", 3, where));
  }
  if (name == "range_min_max")
    return std::make_unique<RangeMinMax>(dims, get_bool(kw, "abs", false, where));
  if (name == "range_quantile") {
    double q = get_number(kw, "quantile", 0.975, where);
    if (q < 0 || q > 1) throw ConfigError(where, "quantile must be in [0, 1]");
    return std::make_unique<RangeQuantile>(dims, get_bool(kw, "abs", false, where), q);
  }
  return std::make_unique<AbsMean>(dims);
}

Json tensor_to_json(const at::Tensor& t) {
  at::Tensor c = to_double(t).contiguous();
  if (c.dim() == 0) return c.item<double>();
  Json arr = Json::array();
  for (int64_t i = 0; i < c.size(0); ++i) arr.push_back(tensor_to_json(c[i]));
  return arr;
}

}  // namespace chop::passes
