// NSGA-II / NSGA-III survivor selection; see nsga.h. Ports of Optuna's
// samplers/nsgaii/_sampler.py (3.1) and samplers/_nsgaiii/_elite_population_selection_strategy.py.
#include "search/samplers/nsga.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "core/error.h"

namespace chop::search::samplers {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double violation(const GaMember& m) {
  double v = 0;
  for (double c : m.constraints)
    if (c > 0) v += c;
  return v;
}

bool feasible(const GaMember& m) {
  for (double c : m.constraints)
    if (!(c <= 0)) return false;
  return true;
}

}  // namespace

bool ga_dominates(const GaMember& a, const GaMember& b) {
  CHOP_ASSERT(a.losses.size() == b.losses.size(), "members differ in their number of objectives");
  if (a.losses == b.losses) return false;
  for (size_t m = 0; m < a.losses.size(); ++m)
    if (!(a.losses[m] <= b.losses[m])) return false;
  return true;
}

bool ga_constrained_dominates(const GaMember& a, const GaMember& b) {
  if (!a.has_constraints && !b.has_constraints) return ga_dominates(a, b);
  if (a.has_constraints && !b.has_constraints) return true;
  if (!a.has_constraints && b.has_constraints) return false;
  if (a.constraints.size() != b.constraints.size())
    throw UserError("trials with different numbers of constraints cannot be compared (" +
                    std::to_string(a.constraints.size()) + " vs " +
                    std::to_string(b.constraints.size()) + ")");
  const bool fa = feasible(a), fb = feasible(b);
  if (fa && fb) return ga_dominates(a, b);
  if (fa) return true;
  if (fb) return false;
  return violation(a) < violation(b);
}

std::vector<std::vector<int>> ga_fast_non_dominated_sort(const std::vector<GaMember>& pop,
                                                         bool constrained) {
  const int n = static_cast<int>(pop.size());
  auto dom = [&](int a, int b) {
    return constrained ? ga_constrained_dominates(pop[a], pop[b]) : ga_dominates(pop[a], pop[b]);
  };
  std::vector<int> dominated_count(n, 0);
  std::vector<std::vector<int>> dominates_list(n);
  for (int p = 0; p < n; ++p)
    for (int q = p + 1; q < n; ++q) {
      if (dom(p, q)) {
        dominates_list[p].push_back(q);
        ++dominated_count[q];
      } else if (dom(q, p)) {
        dominates_list[q].push_back(p);
        ++dominated_count[p];
      }
    }
  std::vector<int> population(n);
  std::iota(population.begin(), population.end(), 0);
  std::vector<std::vector<int>> fronts;
  while (!population.empty()) {
    std::vector<int> front;
    size_t i = 0;
    while (i < population.size()) {
      if (dominated_count[population[i]] == 0) {
        const int individual = population[i];
        // Optuna replaces the taken member by the last one (order matters downstream).
        if (i == population.size() - 1) {
          population.pop_back();
        } else {
          population[i] = population.back();
          population.pop_back();
        }
        front.push_back(individual);
      } else {
        ++i;
      }
    }
    for (int x : front)
      for (int y : dominates_list[x]) --dominated_count[y];
    CHOP_ASSERT(!front.empty(), "non-dominated sorting made no progress");
    fronts.push_back(std::move(front));
  }
  return fronts;
}

std::vector<double> ga_crowding_distance(const std::vector<GaMember>& pop,
                                         std::vector<int>& front) {
  std::map<int, double> dist;
  for (int i : front) dist[i] = 0.0;
  if (front.empty()) return {};
  const size_t n_obj = pop[front[0]].values.size();
  for (size_t m = 0; m < n_obj; ++m) {
    std::stable_sort(front.begin(), front.end(),
                     [&](int a, int b) { return pop[a].values[m] < pop[b].values[m]; });
    if (pop[front.front()].values[m] == pop[front.back()].values[m]) continue;
    std::vector<double> vs;
    vs.push_back(-kInf);
    for (int i : front) vs.push_back(pop[i].values[m]);
    vs.push_back(kInf);
    double v_min = kInf, v_max = -kInf;
    for (double v : vs)
      if (v != -kInf) {
        v_min = v;
        break;
      }
    for (auto it = vs.rbegin(); it != vs.rend(); ++it)
      if (*it != kInf) {
        v_max = *it;
        break;
      }
    double width = v_max - v_min;
    if (!(width > 0)) width = 1.0;
    for (size_t j = 0; j < front.size(); ++j) {
      const double gap = vs[j] == vs[j + 2] ? 0.0 : vs[j + 2] - vs[j];
      dist[front[j]] += gap / width;
    }
  }
  std::vector<double> out;
  for (int i : front) out.push_back(dist[i]);
  return out;
}

std::vector<int> nsga2_select(const std::vector<GaMember>& pop, int population_size,
                              bool constrained) {
  std::vector<int> elite;
  for (auto& front : ga_fast_non_dominated_sort(pop, constrained)) {
    if (static_cast<int>(elite.size() + front.size()) < population_size) {
      elite.insert(elite.end(), front.begin(), front.end());
      continue;
    }
    const int n = population_size - static_cast<int>(elite.size());
    std::vector<double> d = ga_crowding_distance(pop, front);
    std::vector<int> order(front.size());
    std::iota(order.begin(), order.end(), 0);
    // Stable ascending sort by distance, then reversed (Optuna's sort + reverse).
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return d[a] < d[b]; });
    std::reverse(order.begin(), order.end());
    for (int k = 0; k < n; ++k) elite.push_back(front[order[k]]);
    break;
  }
  return elite;
}

std::vector<std::vector<double>> das_dennis_points(int n_objectives, int p) {
  std::vector<std::vector<double>> out;
  std::vector<int> comb(p,
                        0);  // non-decreasing objective indices, like combinations_with_replacement
  if (n_objectives <= 0) return out;
  while (true) {
    std::vector<double> point(n_objectives, 0.0);
    for (int j : comb) point[j] += 1.0;
    out.push_back(std::move(point));
    int i = p - 1;
    while (i >= 0 && comb[i] == n_objectives - 1) --i;
    if (i < 0) break;
    const int v = comb[i] + 1;
    for (int k = i; k < p; ++k) comb[k] = v;
  }
  return out;
}

}  // namespace chop::search::samplers
