// The quantizer-family table: one row per family (MASE's config name and aliases, its keys and
// their docs, parser, quantize function, metadata precision list, MASE class suffix and the hooks
// the fast paths ask). Adding a family = one row in family.cpp plus its own quant/<family>.{h,cpp}.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/table_reader.h"
#include "core/registry.h"
#include "quant/config.h"
#include "quant/operand_keys.h"

namespace chop::quant {

/// Integer codes of an affine quantizer, y = clamp(round_half_even(x * scale), lo, hi) *
/// inv_scale, that a native kernel may compute instead of `quantize` (bit for bit in float32).
struct AffineCodes {
  float scale = 1.0f, inv_scale = 1.0f, lo = 0.0f, hi = 0.0f;
};

struct FamilyEntry {
  std::string name;                  // MASE's config name, "integer"
  std::vector<std::string> aliases;  // names that mean the same ("fixed")
  QuantFamily family;
  std::string summary;
  /// The operand keys by suffix (key "width" = <op>_width), required ones in MASE's metadata
  /// order (QUANT_ARITH_TO_SUFFIXES); `chop list config` shows them with the <op>_ prefix.
  std::vector<config::KeyDoc> keys;
  /// Reads the family's keys of one operand into q (required keys are known to be present).
  void (*parse)(const OperandKeys& keys, OperandQuant& q);
  /// Quantizes x (straight-through gradient, any device); `gen` only where needs_generator.
  at::Tensor (*quantize)(const OperandQuant& q, const at::Tensor& x,
                         std::optional<at::Generator> gen);
  /// MASE's metadata precision list; resolve_defaults fills unset values as the quantizer does.
  nlohmann::ordered_json (*precision)(const OperandQuant& q, bool resolve_defaults);
  std::string mase_class_suffix;  // LinearInteger, Conv2dMinifloatIEEE, ...
  /// Result metadata MASE sets on a quantized node (type, precision); empty type: unchanged.
  std::string result_type;
  nlohmann::ordered_json result_precision;
  // Hooks for the fast paths:
  /// Statistics over blocks of elements (rows of a batch are not independent; the engine keeps
  /// inference batches whole). Blocks never span the batch when skip_first_dim.
  bool blockwise = false;
  /// Each element is quantized on its own whatever the config, so the LibTorch path may batch
  /// inference rows freely (runtime::forward's row-wise batching).
  bool row_wise_batching = false;
  /// True when quantizing needs a seeded generator (random rounding): not memoized, not on the
  /// engine. Null: never.
  bool (*needs_generator)(const OperandQuant& q) = nullptr;
  /// The affine codes a native kernel computes for q (the engine's integer kernel); null or
  /// nullopt: the engine calls `quantize` on its buffers.
  std::optional<AffineCodes> (*native_codes)(const OperandQuant& q) = nullptr;
  /// The documented keys as a table, for `chop list config` (built from `keys`).
  config::TableDoc doc;
};

/// Every family in display order (also the QuantFamily order).
const Registry<FamilyEntry>& family_registry();
/// The row of a family.
const FamilyEntry& family_entry(QuantFamily family);
/// The row whose name or alias is exactly `name` (MASE's spelling: "fixed", not "Fixed").
const FamilyEntry* find_family(const std::string& name);
bool needs_generator(const OperandQuant& q);

}  // namespace chop::quant
