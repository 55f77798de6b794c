// Brute-force sampler over a finite space.
#include "search/samplers/bruteforce.h"

#include <cmath>

#include "core/error.h"
#include "search/options.h"

namespace chop::search {
namespace {

constexpr uint64_t kMaxEnumerable = uint64_t{1} << 40;

void require_finite(const std::string& name, const Distribution& d) {
  if (!d.size())
    throw UserError("the bruteforce sampler needs a finite space, but parameter '" + name +
                    "' is " + d.describe() + "; give it a step or use another sampler");
}

}  // namespace

SearchSpace BruteForceSampler::space_of(const StudyView& view) {
  SearchSpace space;
  if (!view.declared_space.empty()) {
    space = view.declared_space;
  } else {
    for (const auto* t : view.trials)
      if (is_finished(t->state) && !t->distributions.empty()) {
        space = SearchSpace(t->distributions.begin(), t->distributions.end());
        break;
      }
  }
  for (const auto& [name, d] : space) require_finite(name, d);
  if (!space.empty() && *space_size(space) > kMaxEnumerable)
    throw UserError("the bruteforce sampler cannot enumerate " +
                    std::to_string(*space_size(space)) + " configurations; use tpe or random");
  return space;
}

int64_t BruteForceSampler::index_of(const FrozenTrial& t, const SearchSpace& space) {
  int64_t idx = 0, radix = 1;
  for (const auto& [name, d] : space) {
    auto it = t.params.find(name);
    if (it == t.params.end()) return -1;
    const int64_t k = d.index_of(it->second);
    if (k < 0) return -1;
    idx += k * radix;
    radix *= static_cast<int64_t>(*d.size());
  }
  return idx;
}

std::vector<bool> BruteForceSampler::visited(const StudyView& view, const SearchSpace& space,
                                             uint64_t size) const {
  std::vector<bool> seen(size, false);
  for (const auto* t : view.trials) {
    if (t->state == TrialState::kWaiting) continue;
    const int64_t idx = index_of(*t, space);
    if (idx >= 0) seen[static_cast<size_t>(idx)] = true;
  }
  return seen;
}

SearchSpace BruteForceSampler::infer_relative_search_space(const StudyView& view,
                                                           const FrozenTrial& trial) {
  return space_of(view);
}

std::map<std::string, double> BruteForceSampler::sample_relative(const StudyView& view,
                                                                 const FrozenTrial& trial,
                                                                 const SearchSpace& space) {
  const uint64_t size = *space_size(space);
  const auto seen = visited(view, space, size);
  uint64_t pick = size;
  for (uint64_t i = 0; i < size; ++i)
    if (!seen[i]) {
      pick = i;
      break;
    }
  // Exhausted (a worker that raced past the stop): repeat a configuration; duplicate reuse then
  // answers it from the stored result.
  if (pick == size) pick = static_cast<uint64_t>(trial.number) % size;
  std::map<std::string, double> out;
  for (const auto& [name, d] : space) {
    const uint64_t n = *d.size();
    out[name] = d.value_at(pick % n);
    pick /= n;
  }
  return out;
}

double BruteForceSampler::sample_independent(const StudyView& view, const FrozenTrial& trial,
                                             const std::string& param_name,
                                             const Distribution& dist) {
  require_finite(param_name, dist);
  // Before the space is known: decode the trial number in mixed radix over the parameters in
  // suggestion order, so concurrent first trials still get distinct configurations.
  uint64_t rest = static_cast<uint64_t>(std::max<int64_t>(trial.number, 0));
  for (const auto& [name, d] : trial.distributions) {
    if (name == param_name) continue;
    const auto n = d.size();
    if (n && *n > 0) rest /= *n;
  }
  return dist.value_at(rest % *dist.size());
}

bool BruteForceSampler::exhausted(const StudyView& view) const {
  const SearchSpace space = space_of(view);
  if (space.empty()) return false;
  const uint64_t size = *space_size(space);
  const auto seen = visited(view, space, size);
  for (bool s : seen)
    if (!s) return false;
  return true;
}

std::unique_ptr<Sampler> make_bruteforce_sampler(const Json& options, uint64_t seed) {
  Options o(options, "sampler options (bruteforce)");
  o.finish();
  return std::make_unique<BruteForceSampler>(seed);
}

}  // namespace chop::search
