// Project folders; see project.h.
#include "train/project.h"

#include <ctime>

#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"

namespace chop::train {

std::string default_project_name(const std::string& model, const std::string& task,
                                 const std::string& dataset) {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &local);
  return replace_all(model, "/", "-") + "_" + task + "_" + dataset + "_" + date;
}

std::string setup_project_folder(const std::string& project_dir, const std::string& project) {
  // One folder name, so nothing is ever written outside <project_dir>/<project>.
  require_safe_path_component(project, "--project (TOML key project)");
  if (project_dir.empty()) throw UserError("--project-dir (TOML key project_dir) is empty");
  std::string root = project_dir + "/" + project;
  make_dirs(root + "/software");
  make_dirs(root + "/hardware");
  // Temporaries of a run that was killed before its rename ("<file>.tmp.<pid>").
  remove_stale_temp_files(root);
  return root;
}

std::string training_checkpoint_dir(const std::string& project_folder) {
  return project_folder + "/software/training_ckpts";
}

}  // namespace chop::train
