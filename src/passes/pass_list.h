// Factories of the registered passes, one per passes/<name>.cpp; only registry.cpp uses them.
#pragma once

#include "passes/pass.h"

namespace chop::passes {

Pass add_common_metadata_pass();
Pass add_software_metadata_pass();
Pass report_graph_pass();
Pass report_node_meta_param_pass();
Pass flops_pass();
Pass bitops_pass();
Pass model_size_pass();
Pass average_bitwidth_pass();
Pass latency_pass();
Pass profile_statistics_pass();
Pass quantize_pass();
Pass redefine_channels_pass();
Pass inference_cost_pass();
Pass resources_pass();
Pass ebops_pass();
Pass accumulator_widths_pass();

}  // namespace chop::passes
