// Abstract pruner (Optuna's BasePruner) and the pruner registry. A pruner decides from the live
// history whether a RUNNING trial should stop; it may record state in the trial's system attrs
// (e.g. successive halving's completed_rung_<r>), which the study then stores.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/table_reader.h"
#include "core/registry.h"
#include "search/distribution.h"
#include "search/study_view.h"
#include "search/trial.h"

namespace chop::search {

class Pruner {
 public:
  virtual ~Pruner() = default;
  virtual std::string name() const = 0;
  /// `view` holds every other trial of the study as it is now (finished and running);
  /// `trial` is the asking trial with its intermediate values so far.
  virtual bool prune(const StudyView& view, FrozenTrial& trial) = 0;
  /// Lets a pruner restrict the history a sampler sees for `trial` (Hyperband's brackets).
  virtual void filter_for_sampler(StudyView& view, const FrozenTrial& trial) const {}
};

using PrunerFactory =
    std::function<std::unique_ptr<Pruner>(const Json& options, const config::Locate& locate)>;

struct PrunerInfo {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;
  const config::TableDoc* options = nullptr;  // its documented options
  PrunerFactory factory;
};

const Registry<PrunerInfo>& pruner_registry();
const PrunerInfo* find_pruner(const std::string& name);
std::vector<std::string> pruner_names();
/// UserError for an unknown name; ConfigError for bad options.
std::unique_ptr<Pruner> make_pruner(const std::string& name, const Json& options = Json::object(),
                                    const config::Locate& locate = {});

}  // namespace chop::search
