// Checkpoint files; see checkpoint.h.
#include "passes/checkpoint.h"

#include <toml++/toml.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <filesystem>
#include <sstream>

#include "config/toml_document.h"
#include "core/error.h"
#include "core/files.h"
#include "graph/ops.h"
#include "graph/text.h"
#include "passes/transforms/quantize.h"

namespace chop::passes {
namespace {

void put(toml::array& arr, const Json& v);

void put(toml::table& tbl, const std::string& key, const Json& v) {
  if (v.is_null()) {
    tbl.insert_or_assign(key, "NA");
  } else if (v.is_boolean()) {
    tbl.insert_or_assign(key, v.get<bool>());
  } else if (v.is_number_integer()) {
    tbl.insert_or_assign(key, v.get<int64_t>());
  } else if (v.is_number()) {
    tbl.insert_or_assign(key, v.get<double>());
  } else if (v.is_string()) {
    tbl.insert_or_assign(key, v.get<std::string>());
  } else if (v.is_array()) {
    toml::array arr;
    for (const auto& e : v) put(arr, e);
    tbl.insert_or_assign(key, std::move(arr));
  } else {
    toml::table sub;
    for (auto it = v.begin(); it != v.end(); ++it) put(sub, it.key(), it.value());
    tbl.insert_or_assign(key, std::move(sub));
  }
}

void put(toml::array& arr, const Json& v) {
  if (v.is_null()) {
    arr.push_back("NA");
  } else if (v.is_boolean()) {
    arr.push_back(v.get<bool>());
  } else if (v.is_number_integer()) {
    arr.push_back(v.get<int64_t>());
  } else if (v.is_number()) {
    arr.push_back(v.get<double>());
  } else if (v.is_string()) {
    arr.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    toml::array sub;
    for (const auto& e : v) put(sub, e);
    arr.push_back(std::move(sub));
  } else {
    toml::table sub;
    for (auto it = v.begin(); it != v.end(); ++it) put(sub, it.key(), it.value());
    arr.push_back(std::move(sub));
  }
}

}  // namespace

CheckpointPaths checkpoint_paths(const std::string& dir) {
  return {dir, dir + "/graph.txt", dir + "/node_meta.toml", dir + "/state.pt"};
}

std::string node_meta_toml(const graph::Graph& g) {
  toml::table root;
  for (const auto& n : g.nodes()) put(root, n.name, n.meta);
  std::ostringstream os;
  os << "# node name -> MASE metadata (common, software, hardware); None is written as \"NA\"\n"
     << root << "\n";
  return os.str();
}

void save_state_dict_file(const graph::Graph& g, const std::string& path) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, t] : g.state_dict()) dict.insert(name, t.detach().to(at::kCPU));
  std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

void load_state_dict_file(graph::Graph& g, const std::string& path) {
  std::string raw = read_file(path);
  c10::IValue v;
  try {
    v = torch::jit::pickle_load(std::vector<char>(raw.begin(), raw.end()));
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throw DataError(path, "not a readable state dict: " + msg.substr(0, msg.find('\n')));
  }
  if (!v.isGenericDict())
    throw DataError(path, "expected a dict of tensors (a state dict), got " + v.tagKind());
  std::map<std::string, at::Tensor> loaded;
  for (const auto& e : v.toGenericDict()) {
    if (!e.key().isString() || !e.value().isTensor())
      throw DataError(path, "expected a dict of name -> tensor");
    loaded[e.key().toStringRef()] = e.value().toTensor();
  }
  at::NoGradGuard no_grad;
  for (auto& n : g.nodes()) {
    auto fill = [&](graph::NamedTensors& list) {
      for (auto& [pn, t] : list) {
        std::string key = n.target + "." + pn;
        auto it = loaded.find(key);
        if (it == loaded.end())
          throw DataError(path, "has no tensor '" + key + "' for node " + n.name +
                                    "; was it saved from a different model?");
        if (it->second.sizes() != t.sizes())
          throw DataError(path, "tensor '" + key + "' has shape " +
                                    graph::shape_str(it->second.sizes().vec()) + ", node " +
                                    n.name + " expects " + graph::shape_str(t.sizes().vec()));
        t.copy_(it->second.to(t.dtype()));
      }
    };
    fill(n.params);
    fill(n.buffers);
  }
}

CheckpointPaths save_checkpoint(const graph::Graph& g, const std::string& dir) {
  CheckpointPaths p = checkpoint_paths(dir);
  make_dirs(dir);
  write_file_atomic(p.graph, graph::print_graph(g));
  write_file_atomic(p.node_meta, node_meta_toml(g));
  save_state_dict_file(g, p.state);
  return p;
}

graph::Graph load_checkpoint(const std::string& dir) {
  CheckpointPaths p = checkpoint_paths(dir);
  for (const auto& f : {p.graph, p.state})
    if (!std::filesystem::exists(f))
      throw DataError(f,
                      "missing; a chop checkpoint folder holds graph.txt, node_meta.toml and "
                      "state.pt (written by `chop transform`)");
  graph::Graph g = graph::parse_graph(read_file(p.graph), p.graph);
  load_state_dict_file(g, p.state);
  if (std::filesystem::exists(p.node_meta)) {
    config::TomlDocument doc = config::parse_toml_string(read_file(p.node_meta), p.node_meta);
    for (auto& n : g.nodes())
      if (doc.root.contains(n.name)) n.meta = doc.root[n.name];
  }
  attach_quantizers(g);
  g.set_requires_grad(true);
  return g;
}

}  // namespace chop::passes
