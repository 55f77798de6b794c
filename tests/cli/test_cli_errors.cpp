// Bad input to the chop binary: one clear line naming the culprit, a non-zero exit code, and no
// stack trace — for unknown model, action, flag and TOML key, wrong types and missing files.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "common/run_chop.h"
#include "core/files.h"

namespace chop {
namespace {

using testing::run_chop;

void expect_clear_error(const std::string& args, const std::string& must_mention) {
  auto r = run_chop(args);
  EXPECT_NE(r.exit_code, 0) << args << "\n" << r.output;
  EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(must_mention), std::string::npos) << args << "\n" << r.output;
  EXPECT_FALSE(testing::looks_like_crash(r.output)) << r.output;
}

std::string temp_toml(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("chop_cli_" + name + "_" + std::to_string(::getpid()) + ".toml");
  write_file_atomic(path.string(), text);
  return path.string();
}

}  // namespace

TEST(CliErrors, UnknownModel) { expect_clear_error("analyze jsc-tny", "did you mean 'jsc-tiny'"); }
TEST(CliErrors, UnknownAction) { expect_clear_error("analyse jsc-tiny", "unknown action 'analyse'"); }
TEST(CliErrors, UnknownFlag) { expect_clear_error("analyze jsc-tiny --batch-sise 3", "--batch-size"); }
TEST(CliErrors, WrongTypeFlag) { expect_clear_error("analyze jsc-tiny --batch-size many", "--batch-size"); }
TEST(CliErrors, BadChoice) {
  expect_clear_error("analyze jsc-tiny --training-optimizer adum", "adam");
}
TEST(CliErrors, MissingConfigFile) {
  expect_clear_error("analyze jsc-tiny --config /nonexistent/x.toml", "/nonexistent/x.toml");
}
TEST(CliErrors, UnknownTomlKeyHasLine) {
  std::string p = temp_toml("unknown", "model = \"jsc-tiny\"\nmax_epoch = 3\n");
  expect_clear_error("analyze --config " + p, p + ":2:");
}
TEST(CliErrors, WrongTomlType) {
  std::string p = temp_toml("type", "batch_size = \"large\"\n");
  expect_clear_error("analyze jsc-tiny --config " + p, "batch_size");
}
TEST(CliErrors, TomlSyntax) {
  std::string p = temp_toml("syntax", "batch_size = [\n");
  expect_clear_error("analyze jsc-tiny --config " + p, p + ":");
}
TEST(CliErrors, UnreadableConfig) {
  std::string p = temp_toml("unreadable", "batch_size = 3\n");
  std::filesystem::permissions(p, std::filesystem::perms::none);
  auto r = run_chop("analyze jsc-tiny --config " + p);
  // root can read anything; the check is meaningful only for ordinary users.
  if (::geteuid() != 0) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find(p), std::string::npos);
  }
  std::filesystem::permissions(p, std::filesystem::perms::owner_all);
}
TEST(CliErrors, NotToml) { expect_clear_error("analyze jsc-tiny --config /etc/hostname", ".toml"); }

TEST(Cli, VersionAndHelp) {
  auto v = run_chop("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.output.find("chop "), std::string::npos);
  auto h = run_chop("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.output.find("--batch-size"), std::string::npos);
  EXPECT_NE(h.output.find("analyze"), std::string::npos);
}

}  // namespace chop
