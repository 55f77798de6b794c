// NSGA-III survivor selection (reference-point niching); see nsga.h. Follows Optuna's
// _nsgaiii/_elite_population_selection_strategy.py, on minimised losses (Optuna normalises the
// raw values, which mis-ranks maximised objectives).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/error.h"
#include "search/samplers/nsga.h"

namespace chop::search::samplers {
namespace {

using Matrix = std::vector<std::vector<double>>;
constexpr double kCoef = 3.0;  // ±inf are replaced by ideal/nadir ∓ 3·range

Matrix filter_inf(const std::vector<GaMember>& pop, const std::vector<int>& members) {
  Matrix m;
  for (int i : members) m.push_back(pop[i].losses);
  const size_t n_obj = m.empty() ? 0 : m[0].size();
  for (size_t j = 0; j < n_obj; ++j) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& row : m)
      if (std::isfinite(row[j])) lo = std::min(lo, row[j]), hi = std::max(hi, row[j]);
    const double range = hi - lo;
    for (auto& row : m) {
      if (row[j] == std::numeric_limits<double>::infinity()) row[j] = hi + kCoef * range;
      if (row[j] == -std::numeric_limits<double>::infinity()) row[j] = lo - kCoef * range;
    }
  }
  return m;
}

// Solves a·x = b by Gaussian elimination with partial pivoting; false if (nearly) singular.
bool solve(Matrix a, std::vector<double> b, std::vector<double>& x) {
  const size_t n = b.size();
  double scale = 0;
  for (const auto& r : a)
    for (double v : r) scale = std::max(scale, std::fabs(v));
  if (!(scale > 0) || !std::isfinite(scale)) return false;
  for (size_t c = 0; c < n; ++c) {
    size_t piv = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
    if (std::fabs(a[piv][c]) <= scale * n * 1e-15) return false;
    std::swap(a[c], a[piv]);
    std::swap(b[c], b[piv]);
    for (size_t r = c + 1; r < n; ++r) {
      const double f = a[r][c] / a[c][c];
      for (size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  x.assign(n, 0.0);
  for (size_t c = n; c-- > 0;) {
    double s = b[c];
    for (size_t k = c + 1; k < n; ++k) s -= a[c][k] * x[k];
    x[c] = s / a[c][c];
  }
  return true;
}

// Ideal point to the origin, extreme points by the achievement scalarising function (weights 1
// on the axis, 1e6 elsewhere), then divide by the hyperplane intercepts (fallback: max).
void normalize(Matrix& m) {
  if (m.empty()) return;
  const size_t n_obj = m[0].size();
  for (size_t j = 0; j < n_obj; ++j) {
    double lo = m[0][j];
    for (const auto& row : m) lo = std::min(lo, row[j]);
    for (auto& row : m) row[j] -= lo;
  }
  Matrix extreme;
  for (size_t d = 0; d < n_obj; ++d) {
    size_t best = 0;
    double best_asf = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < m.size(); ++i) {
      double asf = -std::numeric_limits<double>::infinity();
      for (size_t j = 0; j < n_obj; ++j) asf = std::max(asf, m[i][j] * (j == d ? 1.0 : 1e6));
      if (asf < best_asf) best_asf = asf, best = i;
    }
    extreme.push_back(m[best]);
  }
  std::vector<double> inv;
  if (!solve(extreme, std::vector<double>(n_obj, 1.0), inv)) {
    inv.assign(n_obj, 0.0);
    for (size_t j = 0; j < n_obj; ++j) {
      double hi = 0;
      for (const auto& row : m) hi = std::max(hi, row[j]);
      inv[j] = 1.0 / hi;
    }
  }
  for (auto& row : m)
    for (size_t j = 0; j < n_obj; ++j) row[j] *= std::isfinite(inv[j]) ? inv[j] : 1.0;
}

}  // namespace

std::vector<int> nsga3_select(const std::vector<GaMember>& pop, int population_size,
                              bool constrained, const Matrix& reference_points_in,
                              int dividing_parameter, Rng& rng) {
  std::vector<int> elite;
  for (auto& front : ga_fast_non_dominated_sort(pop, constrained)) {
    if (static_cast<int>(elite.size() + front.size()) < population_size) {
      elite.insert(elite.end(), front.begin(), front.end());
      continue;
    }
    const size_t n_obj = pop[front[0]].losses.size();
    const Matrix refs = reference_points_in.empty()
                            ? das_dennis_points(static_cast<int>(n_obj), dividing_parameter)
                            : reference_points_in;
    for (const auto& r : refs)
      if (r.size() != n_obj)
        throw UserError("NSGA-III reference points must have one coordinate per objective (" +
                        std::to_string(n_obj) + "), got " + std::to_string(r.size()));
    std::vector<int> members = elite;
    members.insert(members.end(), front.begin(), front.end());
    Matrix m = filter_inf(pop, members);
    normalize(m);
    // Associate every member with the reference line (through the origin) nearest to it.
    std::vector<int> closest(m.size());
    std::vector<double> distance(m.size());
    for (size_t i = 0; i < m.size(); ++i) {
      double best = std::numeric_limits<double>::infinity();
      for (size_t r = 0; r < refs.size(); ++r) {
        double dot = 0, norm2 = 0;
        for (size_t j = 0; j < n_obj; ++j)
          dot += m[i][j] * refs[r][j], norm2 += refs[r][j] * refs[r][j];
        double d2 = 0;
        for (size_t j = 0; j < n_obj; ++j) {
          const double e = m[i][j] - dot / norm2 * refs[r][j];
          d2 += e * e;
        }
        const double d = std::sqrt(d2);
        if (d < best) best = d, closest[i] = static_cast<int>(r);
      }
      distance[i] = best;
    }
    // Niche preservation over the borderline front.
    const size_t n_elite = elite.size();
    const int target = population_size - static_cast<int>(n_elite);
    std::map<int, std::vector<std::pair<double, int>>> borderline;  // ref -> (distance, pos)
    std::vector<int> borderline_order;                              // refs by first appearance
    for (size_t i = n_elite; i < m.size(); ++i) {
      auto& list = borderline[closest[i]];
      if (list.empty()) borderline_order.push_back(closest[i]);
      list.emplace_back(distance[i], static_cast<int>(i - n_elite));
    }
    std::map<int, int> elite_count;
    for (size_t i = 0; i < n_elite; ++i) ++elite_count[closest[i]];
    std::map<int, std::vector<int>> by_count;  // elite neighbours -> refs with borderline members
    for (int r : borderline_order) by_count[elite_count[r]].push_back(r);
    std::map<int, bool> shuffled;
    int count = -1;
    std::vector<int> added;
    while (static_cast<int>(added.size()) < target) {
      auto& refs_at = by_count[count];
      if (refs_at.empty()) {
        ++count;
        shuffle(by_count[count], rng);
        continue;
      }
      const int r = refs_at.back();
      refs_at.pop_back();
      auto& list = borderline[r];
      if (count > 0 && !shuffled[r]) {
        shuffle(list, rng);
        shuffled[r] = true;
      } else if (count == 0) {
        std::sort(list.begin(), list.end(), std::greater<>());
      }
      added.push_back(front[list.back().second]);
      list.pop_back();
      if (!list.empty()) by_count[count + 1].push_back(r);
    }
    elite.insert(elite.end(), added.begin(), added.end());
    break;
  }
  return elite;
}

}  // namespace chop::search::samplers
