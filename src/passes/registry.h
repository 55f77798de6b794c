// The pass registry (`chop list passes`): one table of every pass, option checking against each
// pass's schema, and running one pass by name.
#pragma once

#include <string>
#include <vector>

#include "core/registry.h"
#include "passes/pass.h"

namespace chop::passes {

/// Every pass, in `chop list passes` order (analysis first, then transforms).
const Registry<Pass>& pass_registry();

/// Null when unknown.
const Pass* find_pass(const std::string& name);
/// Throws ConfigError at `where` naming the unknown pass and listing the known ones.
const Pass& pass_named(const std::string& name, const std::string& where);
std::vector<std::string> pass_names();

/// The pass's options as a documented config table ([passes.<name>]).
const config::TableDoc& pass_options_doc(const Pass& pass);

/// Checks `given` against the pass's options (config::TableReader: unknown key, wrong type,
/// missing required key -> ConfigError at ctx.locate(key)) and returns it with defaults filled.
Json resolve_options(const Pass& pass, const Json& given, const PassContext& ctx);

/// Resolves options and runs pass `name`; records its info in ctx.results[name].
PassResult run_pass(const std::string& name, graph::Graph& g, const Json& options,
                    PassContext& ctx);

}  // namespace chop::passes
