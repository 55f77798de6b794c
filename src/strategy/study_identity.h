// Study identity: the definition of the study a search runs (study_definition.h) built from the
// run, and the choice of the study to run in — resume the one with this definition, adopt one
// that has none, start a new one when asked, or refuse before any trial.
#pragma once

#include <string>

#include "search/storage.h"
#include "space/graph_space.h"
#include "strategy/search.h"

namespace chop::strategy {

/// The definition of what `s` searches over `space`: the [search.search_space] table and the
/// choices behind each index, param_encoding, the model (name, model_config, graph and file
/// digests), the --load checkpoint's SHA-256, runners with their options, objectives,
/// constraints and the data (name, split sizes, seed; batch size when a runner trains).
Json study_definition(const SearchSetup& s, const space::GraphSpace& space);

struct StudyChoice {
  std::string name;          // the study to open (created when absent)
  bool created_new = false;  // a new study started on request (--new-study / resume = false)
  std::string note;          // a line for the user ("" when there is nothing to say)
};

/// Picks the study named `name` (or a sibling) in `storage` for `definition`:
/// - `new_study` false: `name` when absent, recorded with this definition, or recorded without
///   one (a study Optuna or an older chop wrote: adopted, unless its stored choice lists or
///   parameter types contradict this search); else the study `name-<k>` recorded with this
///   definition; else UserError naming the study, the storage, what differs and what to do.
/// - `new_study` true: `name` when absent, else `name-<k>`, k one above the highest in use;
///   the existing studies are kept.
/// `declared` is the space the search declares (checked against an adopted study's trials).
StudyChoice choose_study(search::Storage& storage, const std::string& name, const Json& definition,
                         const search::ParamSpace& declared, bool new_study);

/// The study's user attributes "chop:definition" and "chop:definition_digest" (the study
/// exists); rewritten only when they differ.
void record_definition(search::Storage& storage, const std::string& name, const Json& definition);

/// Why the stored study `name` cannot continue with `definition` (empty: it can); for the
/// sampler comparison's studies, which are checked one by one.
std::vector<std::string> study_mismatch(search::Storage& storage, const std::string& name,
                                        const Json& definition, const search::ParamSpace& declared);

/// "pass --new-study (or set resume = false in [search.strategy.setup])": how to start anew.
std::string how_to_start_a_new_study();

}  // namespace chop::strategy
