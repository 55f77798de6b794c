// Study storage cost per trial: a search-shaped study (10 integer parameters, the user attributes
// `chop search` writes, one intermediate value) run with a free objective and the random sampler,
// on SQLite (a fresh file) and in memory. Prints CPU milliseconds per trial (thread CPU time, so
// other load on the machine inflates it less than wall time would). Under
// `valgrind --tool=callgrind` the instruction counts compare storage changes exactly.
//   storage_bench [n_trials=2000] [sqlite|memory|both]
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>

#include "search/study.h"

using namespace chop::search;

namespace {

double cpu_ms() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

double run(const std::string& kind, int64_t n_trials) {
  const std::string path = std::filesystem::temp_directory_path() /
                           ("chop_storage_bench_" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  StudyOptions o;
  o.name = "bench";
  o.directions = {Direction::kMaximize, Direction::kMinimize};
  o.storage = kind == "sqlite" ? open_sqlite_storage(path) : make_in_memory_storage();
  o.seed = 1;
  o.reuse_duplicates = false;
  Study study(o);
  const Json sampled_config = Json::parse(
      R"({"seq_blocks_2": {"config": {"name": "integer", "data_in_width": 8, "weight_width": 4,
      "bias_width": 4, "data_in_frac_width": null, "weight_frac_width": null,
      "bias_frac_width": null}}, "default": {"config": {"name": null}}})");
  auto objective = [&](Trial& t) -> std::vector<double> {
    double s = 0;
    for (int k = 0; k < 10; ++k)
      s += static_cast<double>(t.suggest_int("p" + std::to_string(k), 0, 7));
    t.report(0, s);
    t.set_user_attr("hardware_metrics",
                    Json{{"average_bitwidth", s / 10}, {"memory_density", 8.0}});
    t.set_user_attr("sampled_config", sampled_config);
    t.set_user_attr("software_metrics", Json{{"loss", 1.0 / (1 + s)}, {"accuracy", s / 70}});
    t.set_user_attr("scaled_metrics", Json{{"accuracy", s / 70}, {"average_bitwidth", s / 50}});
    return {s / 70, s / 50};
  };
  OptimizeOptions oo;
  oo.n_trials = n_trials;
  const double t0 = cpu_ms();
  study.optimize(objective, oo);
  const double ms = (cpu_ms() - t0) / static_cast<double>(n_trials);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::stoll(argv[1]) : 2000;
  const std::string which = argc > 2 ? argv[2] : "both";
  for (const std::string kind : {"sqlite", "memory"}) {
    if (which != "both" && which != kind) continue;
    std::printf("%-7s %6lld trials: %.4f ms CPU per trial\n", kind.c_str(),
                static_cast<long long>(n), run(kind, n));
  }
  return 0;
}
