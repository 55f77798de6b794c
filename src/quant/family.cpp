// The quantizer-family table; see family.h. One row per family; its functions live in the
// family's own file pair.
#include "quant/family.h"

#include "quant/binary.h"
#include "quant/block_fp.h"
#include "quant/block_log.h"
#include "quant/block_minifloat.h"
#include "quant/integer.h"
#include "quant/log.h"
#include "quant/minifloat.h"
#include "quant/ternary.h"

namespace chop::quant {
namespace {

using config::KeyDoc;
using json = nlohmann::ordered_json;

KeyDoc required(const std::string& suffix, const std::string& type, const std::string& help) {
  return KeyDoc{suffix, type, json(), true, help};
}
KeyDoc optional(const std::string& suffix, const std::string& type, const json& default_value,
                const std::string& help) {
  return KeyDoc{suffix, type, default_value, false, help};
}

const KeyDoc kWidth = required("width", "int", "bits of the quantized value");
const KeyDoc kBlockSize =
    required("block_size", "list", "block shape, right-aligned; -1 = the whole dimension");
const KeyDoc kSkipFirstDim = optional("skip_first_dim", "bool", true,
                                      "data_in only: blocks never span dimension 0 (the batch)");

config::TableDoc doc_of(const FamilyEntry& e) {
  config::TableDoc d;
  d.path = "passes.quantize.<node>.config (name = \"" + e.name + "\")";
  d.summary = e.summary + "; each key is per operand: <op>_" + e.keys.front().key +
              ", with <op> one of data_in, weight, bias, data_out";
  for (KeyDoc k : e.keys) {
    k.key = "<op>_" + k.key;
    d.keys.push_back(std::move(k));
  }
  return d;
}

std::vector<FamilyEntry> rows() {
  std::vector<FamilyEntry> r = {
      {"integer", {"fixed"}, QuantFamily::kInteger,
       "fixed point: round half to even, saturate (MASE's IntegerQuantizer)",
       {kWidth,
        required("frac_width", "int", "fraction bits; \"NA\" = width / 2"),
        optional("signed", "bool", true, "chop: false for an unsigned range (relu data_in)"),
        optional("narrow", "bool", false, "chop: symmetric range without the most negative code")},
       parse_integer, integer_apply, integer_precision, "Integer", "", json(),
       false, true, nullptr, integer_codes, {}},
      {"minifloat_denorm", {}, QuantFamily::kMinifloatDenorm,
       "minifloat with denormals (MASE's minifloat_denorm)",
       {kWidth, required("exponent_width", "int", "exponent bits (at most width - 1)"),
        required("exponent_bias", "int", "\"NA\" = 2^(exponent_width-1) - 1")},
       parse_minifloat, minifloat_denorm_apply, minifloat_precision, "MinifloatDenorm", "",
       json(), false, true, nullptr, nullptr, {}},
      {"minifloat_ieee", {}, QuantFamily::kMinifloatIeee,
       "IEEE-style minifloat (MASE's minifloat_ieee)",
       {kWidth, required("exponent_width", "int", "exponent bits (at most width - 1)"),
        required("exponent_bias", "int", "\"NA\" = 2^(exponent_width-1) - 1")},
       parse_minifloat, minifloat_ieee_apply, minifloat_precision, "MinifloatIEEE", "", json(),
       false, true, nullptr, nullptr, {}},
      {"log", {}, QuantFamily::kLog, "sign and power of two (MASE's log)",
       {kWidth, required("exponent_bias", "int", "\"NA\" = 2^(width-2) - 1")}, parse_log,
       log_apply, log_precision, "Log", "", json(), false, true, nullptr, nullptr, {}},
      {"block_fp", {}, QuantFamily::kBlockFp,
       "block floating point: one shared exponent per block (MASE's block_fp, once msfp)",
       {kWidth, required("exponent_width", "int", "shared exponent bits"),
        required("exponent_bias", "int", "\"NA\" = 2^(exponent_width-1) - 1"), kBlockSize,
        kSkipFirstDim},
       parse_block_fp, block_fp_apply, block_fp_precision, "BlockFP", "", json(), true, false,
       nullptr, nullptr, {}},
      {"block_minifloat", {}, QuantFamily::kBlockMinifloat,
       "minifloats with a shared exponent bias per block (MASE's block_minifloat)",
       {kWidth, required("exponent_width", "int", "exponent bits (at most width - 1)"),
        required("exponent_bias_width", "int", "bits of the shared bias"), kBlockSize,
        kSkipFirstDim},
       parse_block_minifloat, block_minifloat_apply, block_minifloat_precision,
       "BlockMinifloat", "", json(), true, false, nullptr, nullptr, {}},
      {"block_log", {}, QuantFamily::kBlockLog,
       "powers of two with a shared bias per block (MASE's block_log)",
       {kWidth, required("exponent_bias_width", "int", "bits of the shared bias"), kBlockSize,
        kSkipFirstDim},
       parse_block_log, block_log_apply, block_log_precision, "BlockLog", "", json(), true,
       false, nullptr, nullptr, {}},
      {"binary", {}, QuantFamily::kBinary, "one bit per value (MASE's binary)",
       {kWidth, required("stochastic", "bool", "random rounding (seeded per node)"),
        required("bipolar", "bool", "values -1/+1 instead of 0/1")},
       parse_binary, binary_apply, binary_precision, "Binary", "binary",
       json::array({32, 0, 1}), false, false, binary_needs_generator, nullptr, {}},
      {"ternary", {}, QuantFamily::kTernary, "values -1, 0, +1 (MASE's ternary)",
       {kWidth, required("scaling_factor", "bool", "scale by the mean magnitude"),
        optional("mean", "number", json(), "statistic for the threshold (0.75 x mean)"),
        optional("median", "number", json(), "statistic for the threshold"),
        optional("max", "number", json(), "statistic for the threshold (0.05 x max)")},
       parse_ternary, ternary_apply, ternary_precision, "Ternary", "", json(), false, false,
       nullptr, nullptr, {}},
  };
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i].family == QuantFamily::kByRow) r[i].family = static_cast<QuantFamily>(i);
    CHOP_ASSERT(static_cast<size_t>(r[i].family) == i, "family rows follow QuantFamily");
    r[i].doc = doc_of(r[i]);
  }
  return r;
}

}  // namespace

const Registry<FamilyEntry>& family_registry() {
  static const Registry<FamilyEntry> table(
      {"quantizer family", "quantizer families", "chop list quantizers"}, rows());
  return table;
}

const FamilyEntry& family_entry(QuantFamily family) {
  return family_registry().rows().at(static_cast<size_t>(family));
}

const FamilyEntry* find_family(const std::string& name) {
  for (const auto& e : family_registry()) {
    if (e.name == name) return &e;
    for (const auto& a : e.aliases)
      if (a == name) return &e;
  }
  return nullptr;
}

bool needs_generator(const OperandQuant& q) {
  const FamilyEntry& e = family_entry(q.family);
  return e.needs_generator && e.needs_generator(q);
}

}  // namespace chop::quant
