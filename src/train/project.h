// MASE's project folder (mase.md §1.6): <project_dir>/<project>/{software,hardware}, the project
// name defaulting to "<model>_<task>_<dataset>_<YYYY-MM-DD>".
#pragma once

#include <string>

namespace chop::train {

/// "<model with '/' -> '-'>_<task>_<dataset>_<local date YYYY-MM-DD>", e.g.
/// "jsc-tiny_classification_jsc_2024-01-14".
std::string default_project_name(const std::string& model, const std::string& task,
                                 const std::string& dataset);

/// Creates <project_dir>/<project>/software and .../hardware and returns <project_dir>/<project>.
/// `project` must be one safe folder name (UserError otherwise); temporaries left in the folder
/// by killed runs are removed.
std::string setup_project_folder(const std::string& project_dir, const std::string& project);

/// <project folder>/software/training_ckpts (best.ckpt, last.ckpt, metrics.csv, metrics.jsonl).
std::string training_checkpoint_dir(const std::string& project_folder);

}  // namespace chop::train
