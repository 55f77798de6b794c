// Dominance, non-dominated sorting and exact hypervolume (WFG with a 2-D sweep base case).
#include "search/pareto.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace chop::search {
namespace {

inline double nan_to_inf(double v) {
  return std::isnan(v) ? INFINITY : v;
}

// Non-dominated subset with duplicates collapsed (enough for hypervolume).
std::vector<Point> nondominated_unique(std::vector<Point> pts) {
  std::sort(pts.begin(), pts.end());
  pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
  std::vector<Point> out;
  out.reserve(pts.size());
  // Lexicographic order: a point can only be dominated by an earlier one.
  for (const auto& p : pts) {
    bool dominated = false;
    for (const auto& q : out)
      if (dominates(q, p)) {
        dominated = true;
        break;
      }
    if (!dominated) out.push_back(p);
  }
  return out;
}

double hv2d(std::vector<Point> pts, const Point& ref) {
  std::sort(pts.begin(), pts.end());
  double hv = 0.0, best_y = ref[1];
  for (size_t i = 0; i < pts.size(); ++i) {
    if (pts[i][1] >= best_y) continue;
    // Area of the slab between this x and the next point that improves y (or ref).
    best_y = pts[i][1];
    double next_x = ref[0];
    for (size_t j = i + 1; j < pts.size(); ++j)
      if (pts[j][1] < best_y) {
        next_x = pts[j][0];
        break;
      }
    hv += (next_x - pts[i][0]) * (ref[1] - best_y);
  }
  return hv;
}

double box(const Point& p, const Point& ref) {
  double v = 1.0;
  for (size_t k = 0; k < p.size(); ++k) v *= ref[k] - p[k];
  return v;
}

double wfg(std::vector<Point> pts, const Point& ref);

// Exclusive volume of p with respect to `others` (all assumed inside the reference box).
double exclusive(const Point& p, const std::vector<Point>& others, const Point& ref) {
  std::vector<Point> limited;
  limited.reserve(others.size());
  for (const auto& q : others) {
    Point l(p.size());
    for (size_t k = 0; k < p.size(); ++k) l[k] = std::max(p[k], q[k]);
    limited.push_back(std::move(l));
  }
  return box(p, ref) - wfg(std::move(limited), ref);
}

double wfg(std::vector<Point> pts, const Point& ref) {
  if (pts.empty()) return 0.0;
  const size_t d = ref.size();
  if (d == 1) {
    double m = ref[0];
    for (const auto& p : pts) m = std::min(m, p[0]);
    return ref[0] - m;
  }
  pts = nondominated_unique(std::move(pts));
  if (d == 2) return hv2d(std::move(pts), ref);
  if (pts.size() == 1) return box(pts[0], ref);
  // Sorting by the last objective descending keeps the limit sets small (WFG's heuristic).
  std::sort(pts.begin(), pts.end(),
            [](const Point& a, const Point& b) { return a.back() > b.back(); });
  double total = 0.0;
  std::vector<Point> rest;
  for (size_t i = 0; i < pts.size(); ++i) {
    rest.assign(pts.begin() + static_cast<long>(i) + 1, pts.end());
    total += exclusive(pts[i], rest, ref);
  }
  return total;
}

std::vector<Point> inside(const std::vector<Point>& points, const Point& ref) {
  std::vector<Point> out;
  out.reserve(points.size());
  for (const auto& p : points) {
    CHOP_ASSERT(p.size() == ref.size(), "hypervolume: point and reference differ in dimension");
    bool ok = true;
    for (size_t k = 0; k < p.size(); ++k)
      if (!(nan_to_inf(p[k]) < ref[k])) ok = false;
    if (ok) out.push_back(p);
  }
  return out;
}

}  // namespace

bool dominates(const Point& a, const Point& b) {
  bool strictly = false;
  for (size_t k = 0; k < a.size(); ++k) {
    const double x = nan_to_inf(a[k]), y = nan_to_inf(b[k]);
    if (x > y) return false;
    if (x < y) strictly = true;
  }
  return strictly;
}

Point to_loss(const FrozenTrial& t, const std::vector<Direction>& directions) {
  Point p(directions.size(), INFINITY);
  for (size_t k = 0; k < directions.size() && k < t.values.size(); ++k)
    p[k] = std::isnan(t.values[k]) ? INFINITY : t.values[k] * loss_sign(directions[k]);
  return p;
}

std::vector<Point> to_losses(const std::vector<const FrozenTrial*>& trials,
                             const std::vector<Direction>& directions) {
  std::vector<Point> out;
  out.reserve(trials.size());
  for (const auto* t : trials) out.push_back(to_loss(*t, directions));
  return out;
}

std::vector<size_t> pareto_front_indices(const std::vector<Point>& points) {
  const size_t n = points.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  // Lexicographic order: only earlier points can dominate later ones.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return points[a] < points[b]; });
  std::vector<size_t> front;
  for (size_t idx : order) {
    bool dominated = false;
    for (size_t f : front)
      if (dominates(points[f], points[idx])) {
        dominated = true;
        break;
      }
    if (!dominated) front.push_back(idx);
  }
  std::sort(front.begin(), front.end());
  return front;
}

std::vector<std::vector<size_t>> non_dominated_fronts(const std::vector<Point>& points,
                                                      size_t n_needed) {
  const size_t n = points.size();
  std::vector<std::vector<size_t>> dominated_by_me(n);
  std::vector<size_t> n_dominators(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if (dominates(points[i], points[j])) {
        dominated_by_me[i].push_back(j);
        ++n_dominators[j];
      } else if (dominates(points[j], points[i])) {
        dominated_by_me[j].push_back(i);
        ++n_dominators[i];
      }
    }
  std::vector<std::vector<size_t>> fronts;
  std::vector<size_t> current;
  for (size_t i = 0; i < n; ++i)
    if (n_dominators[i] == 0) current.push_back(i);
  size_t ranked = 0;
  while (!current.empty()) {
    ranked += current.size();
    std::vector<size_t> next;
    for (size_t i : current)
      for (size_t j : dominated_by_me[i])
        if (--n_dominators[j] == 0) next.push_back(j);
    std::sort(next.begin(), next.end());
    fronts.push_back(std::move(current));
    if (ranked >= n_needed) break;
    current = std::move(next);
  }
  return fronts;
}

std::vector<int> non_dominated_ranks(const std::vector<Point>& points, size_t n_needed) {
  std::vector<int> rank(points.size(), -1);
  const auto fronts = non_dominated_fronts(points, n_needed);
  for (size_t r = 0; r < fronts.size(); ++r)
    for (size_t i : fronts[r]) rank[i] = static_cast<int>(r);
  return rank;
}

double hypervolume(const std::vector<Point>& points, const Point& ref) {
  return wfg(inside(points, ref), ref);
}

std::vector<double> hypervolume_contributions(const std::vector<Point>& points, const Point& ref) {
  std::vector<double> out(points.size(), 0.0);
  for (size_t i = 0; i < points.size(); ++i) {
    bool in = true;
    for (size_t k = 0; k < ref.size(); ++k)
      if (!(nan_to_inf(points[i][k]) < ref[k])) in = false;
    if (!in) continue;
    std::vector<Point> others;
    for (size_t j = 0; j < points.size(); ++j)
      if (j != i) others.push_back(points[j]);
    out[i] = exclusive(points[i], inside(others, ref), ref);
  }
  return out;
}

}  // namespace chop::search
