// The config reference: every documented config table of every layer, rendered as the markdown
// of `chop list config` and docs/config-reference.md (a test fails when that file is stale).
#pragma once

#include <string>
#include <vector>

#include "config/table_reader.h"

namespace chop::cli {

/// Every documented table, in reference order: top-level keys, model_config, passes, search
/// (space, strategy, runners, samplers, pruners, constraints).
std::vector<const config::TableDoc*> config_reference_tables();

/// The whole reference as markdown.
std::string config_reference_markdown();

}  // namespace chop::cli
