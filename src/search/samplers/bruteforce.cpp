// Brute-force sampler over a finite space.
#include "search/samplers/bruteforce.h"

#include <cmath>

#include "config/table_reader.h"
#include "core/error.h"

namespace chop::search {
namespace {

constexpr uint64_t kMaxEnumerable = uint64_t{1} << 62;

void require_finite(const std::string& name, const Distribution& d) {
  if (!d.size())
    throw UserError("the bruteforce sampler needs a finite space, but parameter '" + name +
                    "' is " + d.describe() + "; give it a step or use another sampler");
}

}  // namespace

ParamSpace BruteForceSampler::space_of(const StudyView& view) {
  ParamSpace space;
  if (!view.declared_space.empty()) {
    space = view.declared_space;
  } else {
    for (const auto* t : view.trials)
      if (is_finished(t->state) && !t->distributions.empty()) {
        space = ParamSpace(t->distributions.begin(), t->distributions.end());
        break;
      }
  }
  for (const auto& [name, d] : space) require_finite(name, d);
  if (!space.empty() && *space_size(space) > kMaxEnumerable)
    throw UserError(
        "the bruteforce sampler cannot enumerate more than 2^62 configurations; use "
        "tpe or random");
  return space;
}

int64_t BruteForceSampler::index_of(const FrozenTrial& t, const ParamSpace& space) {
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

std::unordered_set<uint64_t> BruteForceSampler::visited(const StudyView& view,
                                                        const ParamSpace& space) const {
  // Caller holds mu_. Leading finished trials are folded once into finished_ (they never
  // change); only the unfinished tail of each view is indexed again.
  if (space != cached_space_) {
    finished_.clear();
    prefix_ = 0;
    first_free_ = 0;
    cached_space_ = space;
  }
  while (prefix_ < view.trials.size() && is_finished(view.trials[prefix_]->state)) {
    const int64_t idx = index_of(*view.trials[prefix_], space);
    if (idx >= 0) finished_.insert(static_cast<uint64_t>(idx));
    ++prefix_;
  }
  std::unordered_set<uint64_t> tail;
  for (size_t k = prefix_; k < view.trials.size(); ++k) {
    const FrozenTrial* t = view.trials[k];
    if (t->state == TrialState::kWaiting) continue;
    const int64_t idx = index_of(*t, space);
    if (idx >= 0 && !finished_.count(static_cast<uint64_t>(idx)))
      tail.insert(static_cast<uint64_t>(idx));
  }
  while (finished_.count(first_free_)) ++first_free_;
  return tail;
}

ParamSpace BruteForceSampler::infer_relative_search_space(const StudyView& view,
                                                          const FrozenTrial& trial) {
  return space_of(view);
}

std::map<std::string, double> BruteForceSampler::sample_relative(const StudyView& view,
                                                                 const FrozenTrial& trial,
                                                                 const ParamSpace& space) {
  const uint64_t size = *space_size(space);
  std::lock_guard<std::mutex> lock(mu_);
  const auto tail = visited(view, space);
  uint64_t pick = first_free_;
  while (pick < size && (finished_.count(pick) || tail.count(pick))) ++pick;
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
  const ParamSpace space = space_of(view);
  if (space.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  const auto tail = visited(view, space);
  return finished_.size() + tail.size() >= *space_size(space);
}

const config::TableDoc& bruteforce_sampler_options() {
  static const config::TableDoc doc{
      "search.strategy.setup.sampler_options (bruteforce)", "no options", {}};
  return doc;
}

std::unique_ptr<Sampler> make_bruteforce_sampler(const Json& options, uint64_t seed,
                                                 const config::Locate& locate) {
  const config::TableReader o(options, bruteforce_sampler_options(), locate);
  return std::make_unique<BruteForceSampler>(seed);
}

}  // namespace chop::search
