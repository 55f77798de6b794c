// TPE sampling core; see tpe.h. Follows TPESampler._sample_relative / sample_independent of
// Optuna 3.x: observations filtered after the split, l(x) from below (MOTPE: hypervolume
// weights), g(x) from above, n_ei_candidates draws from l, first argmax of log l − log g.
#include "search/samplers/tpe.h"

#include <cmath>

#include "core/error.h"

namespace chop::search::samplers {

TpeEngine::TpeEngine(TpeOptions options) : options_(std::move(options)) {
  if (options_.n_ei_candidates < 1)
    throw UserError("TPE n_ei_candidates must be >= 1 (got " +
                    std::to_string(options_.n_ei_candidates) + ")");
  if (options_.n_startup_trials < 0)
    throw UserError("TPE n_startup_trials must be >= 0 (got " +
                    std::to_string(options_.n_startup_trials) + ")");
  if (!(options_.prior_weight > 0) || !std::isfinite(options_.prior_weight))
    throw UserError("TPE prior_weight must be a positive number (got " +
                    std::to_string(options_.prior_weight) + ")");
  if (options_.group && !options_.multivariate)
    throw UserError("TPE option group = true needs multivariate = true");
  parzen_.consider_prior = options_.consider_prior;
  parzen_.prior_weight = options_.prior_weight;
  parzen_.consider_magic_clip = options_.consider_magic_clip;
  parzen_.consider_endpoints = options_.consider_endpoints;
  parzen_.exact_density = options_.exact_density;
}

const TpeWorkspace::Weights& TpeEngine::weights_for(int n, TpeWorkspace& ws) const {
  ++ws.tick;
  for (auto& c : ws.weights)
    if (c.n == n) {
      c.last_use = ws.tick;
      return c;
    }
  // Evict the least recently used entry; the one returned just before is never the victim.
  TpeWorkspace::Weights* victim = &ws.weights[0];
  for (auto& c : ws.weights)
    if (c.last_use < victim->last_use) victim = &c;
  TpeWorkspace::Weights& c = *victim;
  c.last_use = ws.tick;
  if (!options_.weights) {
    default_weights_into(n, c.w);
  } else {
    c.w = options_.weights(n);
    if (static_cast<int>(c.w.size()) < n)
      throw UserError("TPE weights function returned " + std::to_string(c.w.size()) +
                      " values for " + std::to_string(n) + " observations");
    c.w.resize(n);
  }
  c.log_w.resize(n);
  for (int i = 0; i < n; ++i) c.log_w[i] = c.w[i] == 1.0 ? 0.0 : std::log(c.w[i]);
  c.n = n;
  return c;
}

TpePrepared TpeEngine::prepare(const TpeHistory& history) const {
  TpePrepared p;
  p.multi_objective = !history.keys.empty() && history.keys[0].losses.size() > 1;
  p.startup = history.n_finished < options_.n_startup_trials;
  if (p.startup) return p;
  const int n_below = options_.gamma_of(history.n_finished);
  p.split = split_trials(history.keys, n_below, history.use_violations);
  if (p.multi_objective)
    p.below_weights = mo_below_weights(history.keys, p.split.below, history.use_violations);
  return p;
}

bool TpeEngine::sample(const std::vector<ParamDomain>& dims,
                       const std::vector<const double*>& columns, const TpePrepared& prepared,
                       Rng& rng, TpeWorkspace& ws, double* out,
                       const std::vector<int>* sorted_keys) const {
  if (prepared.startup) return false;
  const size_t n_dims = dims.size();
  CHOP_ASSERT(columns.size() == n_dims && n_dims > 0, "TPE: one column per dimension");
  auto has_all = [&](int i) {
    for (size_t d = 0; d < n_dims; ++d)
      if (std::isnan(columns[d][i])) return false;
    return true;
  };
  // Gather observations column-major: vals[d * n + j].
  const bool presorted = sorted_keys && n_dims == 1;
  if (presorted)
    ws.pos_of_key.assign(prepared.split.below.size() + prepared.split.above.size(), -1);
  auto gather = [&](const std::vector<int>& idx, std::vector<double>& vals, std::vector<int>* kept,
                    bool record_pos) {
    int n = 0;
    for (int i : idx) n += has_all(i);
    vals.resize(n * n_dims);
    int j = 0;
    for (size_t pos = 0; pos < idx.size(); ++pos) {
      const int i = idx[pos];
      if (!has_all(i)) continue;
      for (size_t d = 0; d < n_dims; ++d) vals[d * n + j] = columns[d][i];
      if (kept) kept->push_back(static_cast<int>(pos));
      if (record_pos) ws.pos_of_key[i] = j;
      ++j;
    }
    return n;
  };
  std::vector<int>& kept = ws.kept;
  kept.clear();
  const int n_below = gather(prepared.split.below, ws.below_vals, &kept, false);
  const int n_above = gather(prepared.split.above, ws.above_vals, nullptr, presorted);
  // g(x)'s observations in ascending order, taken from the caller's maintained sort order.
  const int* above_order = nullptr;
  if (presorted) {
    ws.above_order.clear();
    for (int key : *sorted_keys) {
      const int j = ws.pos_of_key[key];
      if (j >= 0) ws.above_order.push_back(j);
    }
    if (static_cast<int>(ws.above_order.size()) == n_above) above_order = ws.above_order.data();
  }
  const double* below_w = nullptr;
  const double* below_log_w = nullptr;
  if (prepared.multi_objective) {
    ws.below_w.resize(n_below);
    for (int j = 0; j < n_below; ++j) ws.below_w[j] = prepared.below_weights[kept[j]];
    below_w = ws.below_w.data();
  } else {
    const auto& c = weights_for(n_below, ws);
    below_w = c.w.data(), below_log_w = c.log_w.data();
  }
  const auto& above_c = weights_for(n_above, ws);

  // As in Optuna, multivariate mode also uses its fixed bandwidth for single-parameter fallbacks.
  ParzenOptions po = parzen_;
  po.multivariate = options_.multivariate;
  ws.below_cols.resize(n_dims);
  ws.above_cols.resize(n_dims);
  for (size_t d = 0; d < n_dims; ++d) {
    ws.below_cols[d] = ws.below_vals.data() + d * n_below;
    ws.above_cols[d] = ws.above_vals.data() + d * n_above;
  }
  ws.below.build(dims, ws.below_cols, n_below, below_w, po, nullptr, below_log_w);
  ws.above.build(dims, ws.above_cols, n_above, above_c.w.data(), po, above_order,
                 above_c.log_w.data());

  const int n_cand = options_.n_ei_candidates;
  ws.candidates.resize(static_cast<size_t>(n_cand) * n_dims);
  ws.ll.resize(n_cand);
  ws.lg.resize(n_cand);
  ws.below.sample(rng, n_cand, ws.candidates.data());
  ws.below.log_pdf(ws.candidates.data(), n_cand, ws.ll.data());
  ws.above.log_pdf(ws.candidates.data(), n_cand, ws.lg.data());
  int best = 0;
  double best_score = -std::numeric_limits<double>::infinity();
  for (int k = 0; k < n_cand; ++k) {
    const double score = ws.ll[k] - ws.lg[k];
    if (score > best_score || (k == 0)) best = k, best_score = score;
  }
  for (size_t d = 0; d < n_dims; ++d)
    out[d] = ws.candidates[static_cast<size_t>(best) * n_dims + d];
  return true;
}

}  // namespace chop::search::samplers
