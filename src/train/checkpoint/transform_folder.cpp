// The transform folder; see transform_folder.h.
#include "train/checkpoint/transform_folder.h"

#include <toml++/toml.h>

#include <zlib.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "config/toml_document.h"
#include "core/error.h"
#include "core/files.h"
#include "graph/ops.h"
#include "graph/text.h"
#include "graph/verify.h"
#include "interop/torch_file.h"
#include "passes/transforms/quantize.h"

namespace chop::checkpoint {
namespace {

using Json = nlohmann::ordered_json;

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

TransformFolderPaths transform_folder_paths(const std::string& dir) {
  return {dir, dir + "/graph.txt", dir + "/node_meta.toml", dir + "/state.pt",
          dir + "/digest.json"};
}

namespace {

constexpr const char* kDigestFormat = "chop-transform-digest";
const char* const kDigestFiles[] = {"graph.txt", "node_meta.toml", "state.pt"};

uint32_t crc32_of(const std::string& bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t pos = 0; pos < bytes.size();) {  // zlib takes uInt lengths
    const size_t len = std::min<size_t>(bytes.size() - pos, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + pos), static_cast<uInt>(len));
    pos += len;
  }
  return static_cast<uint32_t>(crc);
}

/// digest.json: size and CRC-32 of each file, the same check a .ckpt carries in its header.
std::string digest_json(const TransformFolderPaths& p) {
  Json files = Json::object();
  for (const char* name : kDigestFiles) {
    const std::string bytes = read_file(p.dir + "/" + name);
    files[name] = Json{{"bytes", bytes.size()}, {"crc32", crc32_of(bytes)}};
  }
  return Json{{"format", kDigestFormat}, {"version", 1}, {"files", files}}.dump(1) + "\n";
}

/// The folder's files as listed in digest.json, each verified (size, CRC-32); DataError naming
/// the file that is missing, truncated or altered.
std::map<std::string, std::string> read_verified(const TransformFolderPaths& p) {
  if (!std::filesystem::exists(p.digest))
    throw DataError(p.digest,
                    "missing: chop checks a transform folder against its digest.json (sizes and "
                    "CRC-32 of graph.txt, node_meta.toml, state.pt); re-run `chop transform` to "
                    "write the folder again, or load the weights alone from state.pt");
  Json digest;
  try {
    digest = Json::parse(read_file(p.digest));
  } catch (const Json::exception&) {
    throw DataError(p.digest, "is not valid JSON: corrupt transform folder");
  }
  if (!digest.is_object() || digest.value("format", Json()) != kDigestFormat ||
      !digest.contains("files") || !digest["files"].is_object())
    throw DataError(p.digest, "is not a chop transform digest");
  std::map<std::string, std::string> out;
  for (const char* name : kDigestFiles) {
    const std::string path = p.dir + "/" + name;
    const Json& e = digest["files"].value(name, Json());
    if (!e.is_object() || !e.contains("bytes") || !e["bytes"].is_number_unsigned() ||
        !e.contains("crc32") || !e["crc32"].is_number_unsigned())
      throw DataError(p.digest, std::string("has no valid entry for ") + name);
    std::string bytes = read_file(path);
    if (bytes.size() != e["bytes"].get<uint64_t>())
      throw DataError(path, "is " + std::to_string(bytes.size()) + " bytes, digest.json says " +
                                e["bytes"].dump() + ": truncated or altered");
    if (crc32_of(bytes) != e["crc32"].get<uint64_t>())
      throw DataError(path, "does not match its checksum in digest.json: corrupt or altered");
    out[name] = std::move(bytes);
  }
  return out;
}

}  // namespace

std::string node_meta_toml(const graph::Graph& g) {
  toml::table root;
  for (const auto& n : g.nodes()) put(root, n.name, n.meta);
  std::ostringstream os;
  os << "# node name -> MASE metadata (common, software, hardware); None is written as \"NA\"\n"
     << root << "\n";
  return os.str();
}

TransformFolderPaths save_transform_folder(const graph::Graph& g, const std::string& dir) {
  TransformFolderPaths p = transform_folder_paths(dir);
  make_dirs(dir);
  write_file_atomic(p.graph, graph::print_graph(g));
  write_file_atomic(p.node_meta, node_meta_toml(g));
  interop::save_torch_state_dict(g, p.state);
  // Last: a folder whose digest is missing or stale was not completely written.
  write_file_atomic(p.digest, digest_json(p));
  return p;
}

graph::Graph load_transform_folder(const std::string& dir) {
  TransformFolderPaths p = transform_folder_paths(dir);
  for (const auto& f : {p.graph, p.state})
    if (!std::filesystem::exists(f))
      throw DataError(f,
                      "missing; a chop checkpoint folder holds graph.txt, node_meta.toml, "
                      "state.pt and digest.json (written by `chop transform`)");
  std::map<std::string, std::string> files = read_verified(p);
  // Every declared parameter value needs at least one byte of state.pt.
  graph::Graph g = graph::parse_graph(files["graph.txt"], p.graph, files["state.pt"].size());
  try {
    graph::verify(g);
  } catch (const UserError& e) {
    throw DataError(p.graph, std::string("graph is inconsistent: ") + e.what());
  }
  interop::load_pickled_state_dict(g, files["state.pt"], p.state);
  config::TomlDocument doc = config::parse_toml_string(files["node_meta.toml"], p.node_meta);
  for (auto& n : g.nodes()) {
    if (!doc.root.contains(n.name)) continue;
    const Json& meta = doc.root[n.name];
    for (const char* group : {"common", "software", "hardware"})
      if (!meta.is_object() || (meta.contains(group) && !meta[group].is_object()))
        throw DataError(p.node_meta, "node '" + n.name + "' must be a table with the tables "
                                     "common, software and hardware");
    n.meta = meta;
    for (const char* group : {"common", "software", "hardware"})
      if (!n.meta.contains(group)) n.meta[group] = Json::object();
  }
  passes::attach_quantizers(g);
  g.set_requires_grad(true);
  return g;
}

}  // namespace chop::checkpoint
