// Directions and StudyView helpers.
#include "search/study_view.h"

#include "core/error.h"
#include "core/strings.h"

namespace chop::search {

Direction parse_direction(const std::string& s) {
  const std::string l = to_lower(trim(s));
  if (l == "minimize" || l == "minimise" || l == "min") return Direction::kMinimize;
  if (l == "maximize" || l == "maximise" || l == "max") return Direction::kMaximize;
  throw UserError("unknown direction '" + s + "' (expected \"minimize\" or \"maximize\")");
}

const char* to_string(Direction d) {
  return d == Direction::kMinimize ? "minimize" : "maximize";
}

std::vector<const FrozenTrial*> StudyView::trials_in(
    std::initializer_list<TrialState> states) const {
  std::vector<const FrozenTrial*> out;
  for (const auto* t : trials)
    for (auto s : states)
      if (t->state == s) {
        out.push_back(t);
        break;
      }
  return out;
}

size_t StudyView::count_in(std::initializer_list<TrialState> states) const {
  size_t n = 0;
  for (const auto* t : trials)
    for (auto s : states)
      if (t->state == s) {
        ++n;
        break;
      }
  return n;
}

}  // namespace chop::search
