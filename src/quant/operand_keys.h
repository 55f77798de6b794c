// Reading one operand's keys (<op>_width, <op>_frac_width, ...) of a node's quantization config:
// the typed getters every family's parser uses, each failing with one ConfigError naming the key.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chop::quant {

class OperandKeys {
 public:
  /// `config` is the node's table; `op` the operand prefix ("data_in", "weight", ...); `name`
  /// the quantization name as written; `where` the config location for errors.
  OperandKeys(const nlohmann::ordered_json& config, std::string op, std::string name,
              std::string mase_op, std::string where);

  const std::string& op() const { return op_; }
  const std::string& name() const { return name_; }
  const std::string& mase_op() const { return mase_op_; }
  std::string key(const std::string& suffix) const { return op_ + "_" + suffix; }
  bool has(const std::string& suffix) const;

  /// A width in bits within [min_width, 64].
  int width(int min_width) const;
  /// An integer within [lo, hi]; `what` says what it is ("a positive integer (bits)").
  int integer(const std::string& suffix, int lo, int hi, const std::string& what) const;
  /// An integer in [-1000, 1000], or nullopt for "NA".
  std::optional<int> nullable_int(const std::string& suffix) const;
  bool boolean(const std::string& suffix) const;
  /// A number, or nullopt for "NA".
  std::optional<double> nullable_number(const std::string& suffix) const;
  /// An integer or non-empty list of integers, each >= 1 or -1 (whole dim).
  std::vector<int64_t> block_size(const std::string& suffix) const;

  /// ConfigError at the config's location.
  [[noreturn]] void fail(const std::string& message) const;

 private:
  const nlohmann::ordered_json& at(const std::string& suffix) const;
  const nlohmann::ordered_json& config_;
  std::string op_, name_, mase_op_, where_;
};

/// "integer 3", "string \"x\"", "null (\"NA\")", ... for type errors.
std::string json_type_name(const nlohmann::ordered_json& v);

}  // namespace chop::quant
