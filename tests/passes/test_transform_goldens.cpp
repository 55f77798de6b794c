// The one golden driver for transform passes, in the way MLIR's lit tests and Halide's pass tests
// work: each tests/passes/golden/transforms/*.golden file holds an input graph, the pass
// configuration as a user writes it, and the expected graph (or the expected error). Rewrite the
// expectations with CHOP_UPDATE_GOLDENS=1, then review the diff.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/toml_document.h"
#include "core/error.h"
#include "graph/text.h"
#include "passes/pipeline.h"
#include "passes/registry.h"

namespace chop::passes {
namespace {

namespace fs = std::filesystem;

const std::string kGoldenDir = std::string(CHOP_SOURCE_DIR) + "/tests/passes/golden/transforms";

// A golden file split at its "--- <name>" lines. The header (before the first section) holds
// '#' comments and "key: value" settings.
struct GoldenCase {
  std::string path;
  std::string header;
  std::map<std::string, std::string> sections;
  std::map<std::string, int> first_line;  // 1-based line of each section's first content line
  std::vector<std::string> order;
};

GoldenCase read_case(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  GoldenCase c;
  c.path = path;
  std::string line, current;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.rfind("--- ", 0) == 0) {
      current = line.substr(4);
      c.order.push_back(current);
      c.sections[current];
      c.first_line[current] = line_no + 1;
      continue;
    }
    (current.empty() ? c.header : c.sections[current]) += line + "\n";
  }
  return c;
}

std::string setting(const GoldenCase& c, const std::string& key, const std::string& fallback) {
  std::istringstream in(c.header);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(' '));
      return v;
    }
  return fallback;
}

std::string trim_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The configuration section parsed with its own line numbers, so errors read
// "<file>.golden:<line>:<col>" exactly as for a user's TOML file.
config::TomlDocument parse_config(const GoldenCase& c) {
  std::string padded(static_cast<size_t>(c.first_line.at("config") - 1), '\n');
  return config::parse_toml_string(padded + c.sections.at("config"), c.path);
}

std::vector<PipelineStep> steps_of(const GoldenCase& c, const config::TomlDocument& doc) {
  const config::Json* table = config::find_path(doc.root, "passes");
  return pipeline_from_table(table ? *table : config::Json::object(), &doc);
}

struct Outcome {
  std::string section;  // "expected" or "error"
  std::string text;
};

Outcome run_case(const GoldenCase& c) {
  try {
    config::TomlDocument doc = parse_config(c);
    std::vector<PipelineStep> steps = steps_of(c, doc);
    graph::Graph g = graph::parse_graph(c.sections.at("input"), c.path + " (input)");
    PassContext ctx;
    ctx.batch_size = std::stoll(setting(c, "batch_size", "4"));
    ctx.seed = std::stoull(setting(c, "seed", "0"));
    ctx.where = [&doc](const std::string& key) { return doc.where(key); };
    run_transform(g, steps, ctx);
    return {"expected", graph::print_graph(g)};
  } catch (const Error& e) {
    // The golden folder's absolute path differs between machines: errors name the file alone.
    std::string text = e.what();
    for (size_t at; (at = text.find(kGoldenDir + "/")) != std::string::npos;)
      text.erase(at, kGoldenDir.size() + 1);
    return {"error", text};
  }
}

void rewrite(const GoldenCase& c, const Outcome& got) {
  std::ostringstream out;
  out << c.header;
  for (const auto& name : c.order) {
    if (name == "expected" || name == "error") continue;
    out << "--- " << name << "\n" << c.sections.at(name);
  }
  out << "--- " << got.section << "\n" << trim_trailing_newlines(got.text) << "\n";
  std::ofstream(c.path) << out.str();
}

std::vector<std::string> golden_files() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(kGoldenDir))
    if (e.path().extension() == ".golden") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

class TransformGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(TransformGolden, MatchesExpectation) {
  const GoldenCase c = read_case(kGoldenDir + "/" + GetParam());
  ASSERT_TRUE(c.sections.count("input")) << c.path << ": no '--- input' section";
  ASSERT_TRUE(c.sections.count("config")) << c.path << ": no '--- config' section";
  const Outcome got = run_case(c);
  if (std::getenv("CHOP_UPDATE_GOLDENS")) {
    rewrite(c, got);
    return;
  }
  const bool wants_error = c.sections.count("error") > 0;
  ASSERT_TRUE(wants_error || c.sections.count("expected"))
      << c.path << ": no '--- expected' or '--- error' section";
  if (wants_error) {
    ASSERT_EQ(got.section, "error") << c.path << ": the pass succeeded but an error was expected";
    EXPECT_EQ(got.text, trim_trailing_newlines(c.sections.at("error")))
        << c.path << " (CHOP_UPDATE_GOLDENS=1 rewrites it; review the diff)";
  } else {
    ASSERT_EQ(got.section, "expected") << c.path << ": " << got.text;
    EXPECT_EQ(trim_trailing_newlines(got.text), trim_trailing_newlines(c.sections.at("expected")))
        << c.path << " (CHOP_UPDATE_GOLDENS=1 rewrites it; review the diff)";
  }
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& f : golden_files()) names.push_back(fs::path(f).filename().string());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Files, TransformGolden, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = fs::path(info.param).stem().string();
                           std::replace_if(
                               n.begin(), n.end(), [](char ch) { return !std::isalnum(ch); }, '_');
                           return n;
                         });

// Adding a transform pass without a golden fails here: every transform in the pass table has at
// least one case that succeeds and one that expects an error.
TEST(TransformGoldens, EveryTransformPassHasASuccessAndAnErrorCase) {
  std::set<std::string> succeeds, fails;
  for (const auto& f : golden_files()) {
    const GoldenCase c = read_case(f);
    std::string pass;
    try {
      config::TomlDocument doc = parse_config(c);
      for (const auto& s : steps_of(c, doc)) pass = s.name;
    } catch (const Error&) {
      continue;
    }
    (c.sections.count("error") ? fails : succeeds).insert(pass);
  }
  for (const auto& p : pass_registry()) {
    if (p.kind != "transform") continue;
    EXPECT_TRUE(succeeds.count(p.name))
        << "transform pass " << p.name << " has no golden in " << kGoldenDir;
    EXPECT_TRUE(fails.count(p.name))
        << "transform pass " << p.name << " has no error golden in " << kGoldenDir;
  }
}

}  // namespace
}  // namespace chop::passes
