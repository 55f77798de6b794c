// Grid sampler.
#include "search/samplers/grid.h"

#include <numeric>

#include "config/table_reader.h"
#include "core/error.h"
#include "core/log.h"

namespace chop::search {
namespace {
constexpr uint64_t kMaxGrid = uint64_t{1} << 26;
constexpr const char* kGridAttr = "grid_id";
}  // namespace

GridSampler::GridSampler(Json grid, uint64_t seed) : Sampler(seed) {
  if (grid.is_null()) return;
  if (!grid.is_object())
    throw ConfigError("sampler options (grid).search_space",
                      "expected a table {name = [values...]}, got " + grid.dump());
  std::map<std::string, std::vector<Json>> sorted;
  for (auto it = grid.begin(); it != grid.end(); ++it) {
    if (!it.value().is_array() || it.value().empty())
      throw ConfigError("sampler options (grid).search_space." + it.key(),
                        "expected a non-empty list of values");
    sorted[it.key()] = it.value().get<std::vector<Json>>();
  }
  for (auto& [name, vals] : sorted) {
    names_.push_back(name);
    values_.push_back(vals);
  }
}

void GridSampler::ensure_grid(const StudyView& view) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (ready_) return;
  if (names_.empty()) {
    if (view.declared_space.empty())
      throw UserError(
          "the grid sampler needs a search_space option ({name = [values...]}) or a "
          "search space declared by the caller");
    for (const auto& [name, d] : view.declared_space) {
      if (!d.size())
        throw UserError("the grid sampler needs finite parameters, but '" + name + "' is " +
                        d.describe() + "; give a search_space option");
      std::vector<Json> vals;
      for (uint64_t i = 0; i < *d.size(); ++i) vals.push_back(d.to_external(d.value_at(i)));
      names_.push_back(name);
      values_.push_back(vals);
    }
  }
  uint64_t n = 1;
  for (const auto& v : values_) {
    n *= v.size();
    if (n > kMaxGrid) throw UserError("the grid has more than 2^26 points; use another sampler");
  }
  order_.resize(n);
  std::iota(order_.begin(), order_.end(), uint64_t{0});
  Rng rng(mix_seed(seed(), 0x67726964 /* "grid" */));
  shuffle(order_, rng);
  ready_ = true;
}

uint64_t GridSampler::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return order_.size();
}

std::vector<bool> GridSampler::used(const StudyView& view) const {
  std::vector<bool> seen(order_.size(), false);
  for (const auto* t : view.trials) {
    if (t->state == TrialState::kWaiting) continue;
    auto it = t->system_attrs.find(kGridAttr);
    if (it != t->system_attrs.end() && it->is_number_integer()) {
      const auto id = it->get<int64_t>();
      if (id >= 0 && static_cast<uint64_t>(id) < seen.size()) seen[static_cast<size_t>(id)] = true;
    }
  }
  return seen;
}

void GridSampler::before_trial(const StudyView& view, FrozenTrial& trial) {
  ensure_grid(view);
  if (trial.system_attrs.contains(kGridAttr)) return;  // e.g. a retried trial keeps its point
  const auto seen = used(view);
  uint64_t pick = order_[static_cast<uint64_t>(trial.number) % order_.size()];
  for (uint64_t id : order_)
    if (!seen[id]) {
      pick = id;
      break;
    }
  trial.system_attrs[kGridAttr] = static_cast<int64_t>(pick);
  Json spec = Json::object();
  for (size_t k = 0; k < names_.size(); ++k) spec[names_[k]] = values_[k];
  trial.system_attrs["search_space"] = spec;
}

double GridSampler::sample_independent(const StudyView& view, const FrozenTrial& trial,
                                       const std::string& param_name, const Distribution& dist) {
  auto pos = std::lower_bound(names_.begin(), names_.end(), param_name);
  if (pos == names_.end() || *pos != param_name)
    throw UserError("parameter '" + param_name + "' is not in the grid search space (" +
                    std::to_string(names_.size()) + " parameters); add it to the grid");
  uint64_t id = trial.system_attrs.at(kGridAttr).get<uint64_t>();
  const size_t k = static_cast<size_t>(pos - names_.begin());
  // Grid id in mixed radix, last name fastest (itertools.product order, as Optuna).
  for (size_t j = names_.size(); j-- > k + 1;) id /= values_[j].size();
  const Json& value = values_[k][id % values_[k].size()];
  const double v = dist.to_internal(value);
  if (!dist.contains(v))
    log_warning("grid value " + value.dump() + " of '" + param_name + "' is outside " +
                dist.describe());
  return v;
}

bool GridSampler::exhausted(const StudyView& view) const {
  ensure_grid(view);
  const auto seen = used(view);
  for (bool s : seen)
    if (!s) return false;
  return true;
}

const config::TableDoc& grid_sampler_options() {
  static const config::TableDoc doc{"search.strategy.setup.sampler_options (grid)",
                                    "grid search",
                                    {{"search_space", "table", nullptr, false,
                                      "{name = [values...]}; default: the declared space"}}};
  return doc;
}

std::unique_ptr<Sampler> make_grid_sampler(const Json& options, uint64_t seed,
                                           const config::Locate& locate) {
  const config::TableReader o(options, grid_sampler_options(), locate);
  Json grid = o.get_json("search_space");
  return std::make_unique<GridSampler>(grid, seed);
}

}  // namespace chop::search
