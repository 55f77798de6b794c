// Module paths from exporter node names (torch.onnx's "/block/block.0/Gemm" scopes, tf2onnx's
// "model/dense/MatMul"), so imported nodes get the torch.fx names their PyTorch modules have.
#include <cctype>

#include "core/strings.h"
#include "interop/onnx_import_internal.h"

namespace chop::interop::onnx_import {

std::string module_path(const std::string& onnx_node_name) {
  const bool torch_style = starts_with(onnx_node_name, "/");
  std::vector<std::string> segments;
  for (const auto& s : split(torch_style ? onnx_node_name.substr(1) : onnx_node_name, '/'))
    if (!s.empty()) segments.push_back(s);
  if (segments.size() < 2) return "";
  segments.pop_back();  // the op's own name ("Gemm", "Relu_1")
  std::vector<std::string> path;
  for (const auto& s : segments) {
    // torch.onnx names a container's child by its full dotted path under the container's own
    // scope ("/block/block.0"): the child replaces its parent there.
    if (torch_style && !path.empty() && starts_with(s, path.back() + "."))
      path.back() = s;
    else
      path.push_back(s);
  }
  return join(path, ".");
}

std::string explicit_fx_name(const std::string& onnx_node_name, const std::string& op_type) {
  if (!starts_with(onnx_node_name, "/")) return "";
  const std::string name = onnx_node_name.substr(1);
  if (name.empty() || name.find('/') != std::string::npos) return "";
  if (starts_with(name, op_type)) return "";  // torch.onnx's "/Add", "/Add_1"
  if (!std::islower(static_cast<unsigned char>(name[0])) && name[0] != '_') return "";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return "";
  return name;
}

}  // namespace chop::interop::onnx_import
