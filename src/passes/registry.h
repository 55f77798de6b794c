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
/// missing required key -> ConfigError at ctx.locate(key)), then the pass's own value checks,
/// and returns it with defaults filled in.
Json resolve_options(const Pass& pass, const Json& given, const PassContext& ctx);

/// A context whose errors read like the search config's: `locate(key)` names a key below some
/// TOML table ("file:line:col (search.strategy.hw_runner.luts.key)"); option errors of a pass run
/// with this context point at the same place.
PassContext context_for_table(const std::function<std::string(const std::string&)>& locate);

/// Resolves options and runs pass `name`; records its info in ctx.results[name].
PassResult run_pass(const std::string& name, graph::Graph& g, const Json& options,
                    PassContext& ctx);

}  // namespace chop::passes
