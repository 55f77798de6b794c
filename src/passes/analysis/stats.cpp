// The profiler's stats; see stats.h. Values are accumulated in float64 on the CPU (MASE: float32
// on `device`), so results agree with MASE's to float32 rounding.
#include "passes/analysis/stats.h"

#include "passes/analysis/stats_detail.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/strings.h"

namespace chop::passes {
using detail::Dims;

namespace {

const Json kNA = "NA";

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

}  // namespace

void Stat::update_batch(const at::Tensor& batch) {
  for (int64_t i = 0; i < batch.size(0); ++i) update_sample(batch.narrow(0, i, 1));
}

std::unique_ptr<Stat> detail::create_stat(const StatSpec& spec) {
  const Dims& dims = spec.dims;
  if (spec.name == "record") return std::make_unique<Record>(spec.add_new_dim);
  if (spec.name == "variance_online") return std::make_unique<VarianceOnline>(dims);
  if (spec.name == "variance_precise") return std::make_unique<VariancePrecise>(dims);
  if (spec.name == "range_n_sigma")
    return std::make_unique<RangeNSigma>(dims, spec.abs, spec.online, spec.num_sigma);
  if (spec.name == "range_min_max") return std::make_unique<RangeMinMax>(dims, spec.abs);
  if (spec.name == "range_quantile")
    return std::make_unique<RangeQuantile>(dims, spec.abs, spec.quantile);
  CHOP_ASSERT(spec.name == "abs_mean", "unknown stat " + spec.name);
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
