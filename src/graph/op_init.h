// PyTorch's default initialisation of the op table's parametric ops (an OpSpec's init): fresh
// parameters with nn.Module's shapes and distributions, drawn from the given generator.
#pragma once

#include <ATen/core/Generator.h>

#include "graph/node.h"

namespace chop::graph::op_init {

void init_linear(Node& n, at::Generator& g);
void init_conv1d(Node& n, at::Generator& g);
void init_conv2d(Node& n, at::Generator& g);
void init_batch_norm(Node& n, at::Generator& g);
void init_conv_transpose1d(Node& n, at::Generator& g);
void init_conv_transpose2d(Node& n, at::Generator& g);
void init_prelu(Node& n, at::Generator& g);
void init_layer_norm(Node& n, at::Generator& g);

}  // namespace chop::graph::op_init
