// Study identity end to end (issue 12, failure class 1): a study records what defines it, a
// rerun with a changed search is refused before any trial naming what differs, --new-study /
// resume = false start a new study and keep the old one, Optuna's studies are adopted, and no
// trial ever reuses the result of another configuration.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/run_chop.h"
#include "common/sandbox.h"
#include "common/study_db.h"
#include "core/files.h"
#include "core/strings.h"

namespace chop {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::expect_refused;
using testing::run_chop;
using testing::Sandbox;

constexpr int kUser = 2;

// A few-trial PTQ search of jsc-tiny over 6 configurations (512 validation rows per trial),
// changed one way at a time.
struct SearchToml {
  std::string space = "graph/quantize/mixed_precision_ptq";
  std::string by = "type";
  std::string quantizer = "integer";
  std::string widths = "[2, 4, 8]";
  std::string encoding = "index";
  std::string model = "jsc-tiny";
  int n_trials = 3;
  std::string extra_setup;

  std::string text() const {
    const std::string node = by == "type" ? "linear" : "seq_blocks_2";
    const bool qat = space.find("qat") != std::string::npos;
    return "model = \"" + model + "\"\ndataset = \"jsc\"\nbatch_size = 256\nseed = 7\n" +
           "[search.search_space]\nname = \"" + space + "\"\n[search.search_space.setup]\nby = \"" +
           by + "\"\n[search.search_space.seed.default.config]\nname = [\"NA\"]\n" +
           "[search.search_space.seed." + node + ".config]\nname = [\"" + quantizer + "\"]\n" +
           "data_in_width = [4, 8]\ndata_in_frac_width = [2]\nweight_width = " + widths +
           "\nweight_frac_width = [2]\nbias_width = [8]\nbias_frac_width = [4]\n" +
           "[search.strategy]\neval_mode = " + (qat ? "false" : "true") + "\n" +
           (qat ? "[search.strategy.sw_runner.basic_train]\nmax_epochs = 1\nnum_samples = 256\n"
                : "") +
           "[search.strategy.sw_runner.basic_evaluation]\nnum_samples = 512\n" +
           "[search.strategy.setup]\nsampler = \"bruteforce\"\nstudy_name = \"lab\"\n" +
           "sum_scaled_metrics = true\ndirection = \"maximize\"\nn_trials = " +
           std::to_string(n_trials) + "\nparam_encoding = \"" + encoding + "\"\n" + extra_setup +
           "\n[search.strategy.metrics]\naccuracy.scale = 1.0\n";
  }
};

const char* kRun = " --dataset-size 4000 --num-workers 1 ";

using testing::stored_trials;
using testing::StoredTrial;

// No trial reuses the result of another configuration: a reused trial's sampled configuration
// is its original's, and within one checkpoint's studies equal configurations score equally.
void expect_no_foreign_reuse(const std::vector<StoredTrial>& trials) {
  std::map<std::pair<std::string, int64_t>, const StoredTrial*> by_number;
  for (const auto& t : trials) by_number[{t.study, t.number}] = &t;
  for (const auto& t : trials) {
    if (t.reused_from < 0) continue;
    const StoredTrial* orig = by_number.at({t.study, t.reused_from});
    EXPECT_EQ(t.sampled, orig->sampled) << t.study << " #" << t.number;
    EXPECT_EQ(t.value, orig->value) << t.study << " #" << t.number;
  }
}

std::map<std::string, size_t> trials_per_study(const std::vector<StoredTrial>& trials) {
  std::map<std::string, size_t> n;
  for (const auto& t : trials) ++n[t.study];
  return n;
}

struct Fixture {
  Sandbox sb{"identity"};
  std::string ck1, ck2;

  Fixture() {
    for (const int seed : {1, 2}) {
      const std::string project = "ck" + std::to_string(seed);
      auto r = run_chop("train jsc-tiny jsc --max-epochs 1 --batch-size 256 --seed " +
                            std::to_string(seed) + kRun + sb.project(project),
                        sb.dir.string());
      EXPECT_EQ(r.exit_code, 0) << r.output;
      const std::string ckpt = sb.path("out/" + project + "/software/training_ckpts/best.ckpt");
      EXPECT_TRUE(fs::exists(ckpt)) << r.output;
      (seed == 1 ? ck1 : ck2) = ckpt;
    }
  }
  std::string search(const SearchToml& t, const std::string& load, const std::string& more = "") {
    const std::string toml = sb.write("search.toml", t.text());
    return "search --config " + toml + (load.empty() ? "" : " --load " + load) + kRun +
           sb.project() + more;
  }
  std::string db() const { return sb.path("out/p/software/search_ckpts/study.db"); }
};

}  // namespace

TEST(StudyIdentity, ChangedSearchesAreRefusedNamingWhatDiffers) {
  Fixture f;
  auto r = run_chop(f.search(SearchToml{}, f.ck1), f.sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The same search continues (more trials is not another search).
  SearchToml more;
  more.n_trials = 4;
  r = run_chop(f.search(more, f.ck1), f.sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(3 already in study 'lab')"), std::string::npos) << r.output;

  struct Change {
    std::string what;
    SearchToml toml;
    std::string load;
    std::string expect;  // in the error line
  };
  std::vector<Change> changes;
  auto add = [&](const std::string& what, SearchToml t, const std::string& load,
                 const std::string& expect) {
    changes.push_back({what, t, load, expect});
  };
  SearchToml t;
  t.widths = "[8, 4, 2]";
  add("reordered choices", t, f.ck1, "choices [2, 4, 8] → [8, 4, 2]");
  t = {};
  t.space = "graph/quantize/mixed_precision_qat";
  add("PTQ to QAT", t, f.ck1,
      "search_space.name \"graph/quantize/mixed_precision_ptq\" → "
      "\"graph/quantize/mixed_precision_qat\"");
  t = {};
  t.quantizer = "fixed";
  add("integer to fixed", t, f.ck1, "choices [\"integer\"] → [\"fixed\"]");
  t = {};
  t.by = "name";
  add("by type to by name", t, f.ck1, "search_space.setup.by \"type\" → \"name\"");
  t = {};
  t.model = "jsc-s";
  add("another model", t, "", "model \"jsc-tiny\" → \"jsc-s\"");
  add("another checkpoint", SearchToml{}, f.ck2, "checkpoint digest differs: best.ckpt (sha256");
  add("no checkpoint", SearchToml{}, "", "→ none (no --load)");
  t = {};
  t.encoding = "categorical";
  add("param_encoding", t, f.ck1, "param_encoding \"index\" → \"categorical\"");

  const size_t before = stored_trials(f.db()).size();
  for (const auto& c : changes) {
    SCOPED_TRACE(c.what);
    const auto refused = expect_refused(f.sb, f.search(c.toml, c.load), kUser, c.expect);
    for (const std::string must :
         {"study 'lab' in sqlite:", "study.db (4 trials)", "--new-study", "resume = false"})
      EXPECT_NE(refused.output.find(must), std::string::npos) << must << "\n" << refused.output;
    EXPECT_EQ(refused.output.find("FAIL"), std::string::npos) << refused.output;
  }
  EXPECT_EQ(stored_trials(f.db()).size(), before) << "a refused search must add no trial";
}

TEST(StudyIdentity, NewStudyKeepsTheOldOneAndIsContinued) {
  Fixture f;
  auto r = run_chop(f.search(SearchToml{}, f.ck1), f.sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  SearchToml reordered;
  reordered.widths = "[8, 4, 2]";
  r = run_chop(f.search(reordered, f.ck1, " --new-study"), f.sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Starting a new study 'lab-2'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("study 'lab-2' in"), std::string::npos) << r.output;
  // Without the flag the reordered search continues lab-2, found by its definition.
  reordered.n_trials = 4;
  r = run_chop(f.search(reordered, f.ck1), f.sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("continuing study 'lab-2'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(3 already in study 'lab-2')"), std::string::npos) << r.output;
  // resume = false with another checkpoint: a third study; the original search still goes on.
  SearchToml fresh;
  fresh.extra_setup = "resume = false\n";
  r = run_chop(f.search(fresh, f.ck2), f.sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Starting a new study 'lab-3'"), std::string::npos) << r.output;
  SearchToml original;
  original.n_trials = 5;
  r = run_chop(f.search(original, f.ck1), f.sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(3 already in study 'lab')"), std::string::npos) << r.output;

  const auto trials = stored_trials(f.db());
  const auto n = trials_per_study(trials);
  EXPECT_EQ(n.at("lab"), 5u);
  EXPECT_EQ(n.at("lab-2"), 4u);
  EXPECT_EQ(n.at("lab-3"), 3u);
  expect_no_foreign_reuse(trials);
  // lab and lab-2 hold the same configurations under reordered indices on one checkpoint: the
  // same configuration scores the same in both, whatever its index.
  std::map<std::string, double> score;
  for (const auto& t : trials)
    if (t.study != "lab-3" && t.state == "COMPLETE") {
      const std::string key = t.sampled.dump();
      if (score.count(key)) {
        EXPECT_EQ(score[key], t.value) << t.study << " #" << t.number << " " << key;
      }
      score[key] = t.value;
    }
}

TEST(StudyIdentity, OptunaStudiesAreAdoptedAndTheirParameterTypesChecked) {
  Fixture f;
  const std::string ref = f.sb.path("ref.db"), optuna = f.sb.path("optuna.db");
  auto r = run_chop(f.search(SearchToml{}, f.ck1) + " --storage " + ref, f.sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string script = "/usr/bin/python3 '" + std::string(CHOP_SOURCE_DIR) +
                             "/tests/search/optuna_study.py' write_like 'sqlite:///" + ref +
                             "' lab 'sqlite:///" + optuna + "' lab 2 1 >/dev/null 2>&1";
  ASSERT_EQ(std::system(script.c_str()), 0) << script;
  // Index-encoded parameters (Optuna's IntDistribution) against a categorical search: refused.
  SearchToml categorical;
  categorical.encoding = "categorical";
  expect_refused(f.sb, f.search(categorical, f.ck1, " --storage " + optuna), kUser,
                 "(param_encoding changed?)");
  SearchToml adopt;
  adopt.n_trials = 3;
  r = run_chop(f.search(adopt, f.ck1, " --storage " + optuna), f.sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("adopting it"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(2 already in study 'lab')"), std::string::npos) << r.output;
  // Adopted: the definition is recorded, so a changed search is now refused by it.
  SearchToml reordered;
  reordered.widths = "[8, 4, 2]";
  expect_refused(f.sb, f.search(reordered, f.ck1, " --storage " + optuna), kUser,
                 "choices [2, 4, 8] → [8, 4, 2]");
}

TEST(StudyIdentity, SamplerComparisonsAreCheckedStudyByStudy) {
  Sandbox sb("identity_compare");
  const std::string compare =
      std::string(kRun) + sb.project() + " --compare-samplers random,bruteforce --repeats 1";
  auto search = [&](const SearchToml& t, const std::string& more = "") {
    return "search --config " + sb.write("search.toml", t.text()) + compare + more;
  };
  auto r = run_chop(search(SearchToml{}), sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  SearchToml reordered;
  reordered.widths = "[8, 4, 2]";
  expect_refused(sb, search(reordered), kUser, "study 'lab/random/0' in sqlite:");
  r = run_chop(search(reordered, " --new-study"), sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Starting a new comparison 'lab-2'"), std::string::npos) << r.output;
  r = run_chop(search(reordered), sb.dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("continuing 'lab-2'"), std::string::npos) << r.output;
  const auto trials = stored_trials(sb.path("out/p/software/search_ckpts/comparison/study.db"));
  expect_no_foreign_reuse(trials);
  EXPECT_EQ(trials_per_study(trials).size(), 4u);  // lab/{random,bruteforce}/0, lab-2/...
}

}  // namespace chop
