// `chop search --train-base`: the base model trained inside the search process gives the same
// checkpoint and the same trials as `chop train` then `chop search --load best.ckpt`, and it
// refuses to be combined with --load.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/run_chop.h"
#include "common/search_dir.h"
#include "core/files.h"
#include "quick_search_toml.h"

namespace chop {
namespace {

namespace fs = std::filesystem;

// Every trial's configuration, objective values and state, one line each.
std::string trial_rows(const nlohmann::json& log) {
  std::string rows;
  for (auto& [k, row] : log.items())
    rows += k + " " + row["user_attrs_sampled_config"].dump() + row["values_0"].dump() +
            row["values_1"].dump() + row["state"].dump() + "\n";
  return rows;
}

// The "Best checkpoint (epoch E, val loss L, val acc A)" part of a training's output.
std::string best_line(const std::string& output) {
  const size_t at = output.find("Best checkpoint (");
  if (at == std::string::npos) return "";
  return output.substr(at, output.find(')', at) - at);
}

TEST(CliTrainBase, SameTrialsAsTrainThenSearchWithLoad) {
  testing::SearchDir d("train_base");
  const std::string toml = d.write(testing::quick_search_toml(8));
  const std::string training = " --max-epochs 2 --learning-rate 1e-3 --seed 7";
  // Two processes: chop train, then chop search --load its best checkpoint.
  const auto train =
      testing::run_chop("train --config " + toml + " --project-dir " + (d.dir / "out").string() +
                        " --project base --dataset-size 20000 --num-workers 1" + training);
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const fs::path base_ckpt = d.dir / "out/base/software/training_ckpts/best.ckpt";
  ASSERT_TRUE(fs::exists(base_ckpt)) << train.output;
  const auto loaded =
      testing::run_chop(d.args(toml, "two") + training + " --load " + base_ckpt.string());
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;

  // One process: chop search --train-base.
  const auto one = testing::run_chop(d.args(toml, "one") + training + " --train-base");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_NE(one.output.find("Search finished"), std::string::npos) << one.output;
  // The checkpoints are where chop train writes them, and training reached the same result.
  for (const char* f : {"best.ckpt", "last.ckpt", "metrics.csv"})
    EXPECT_TRUE(fs::exists(d.dir / "out/one/software/training_ckpts" / f)) << f;
  EXPECT_FALSE(best_line(train.output).empty()) << train.output;
  EXPECT_EQ(best_line(one.output), best_line(train.output)) << one.output;
  const std::string rows = trial_rows(d.log("one"));
  EXPECT_EQ(rows, trial_rows(d.log("two")));
  EXPECT_NE(rows.find("COMPLETE"), std::string::npos) << rows;
}

TEST(CliTrainBase, RefusesLoad) {
  testing::SearchDir d("train_base_load");
  const std::string toml = d.write(testing::quick_search_toml(2));
  const auto r =
      testing::run_chop(d.args(toml) + " --train-base --load " + (d.dir / "missing.ckpt").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--train-base"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--load"), std::string::npos) << r.output;
  EXPECT_FALSE(testing::looks_like_crash(r.output)) << r.output;
  EXPECT_FALSE(fs::exists(d.dir / "out/p/software/training_ckpts")) << "nothing trained";
}

}  // namespace
}  // namespace chop
