// The .ckpt writer/reader; see ckpt_file.h and docs/checkpoints.md for the byte layout:
//   "CHOPCKPT" | u32 version | u32 crc32(rest) | u64 header bytes H | u64 data bytes D |
//   header JSON (H bytes) | zero padding to 64 | tensor data (D bytes, 64-aligned, little-endian)
#include "train/checkpoint/ckpt_file.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/files.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/text.h"
#include "graph/verify.h"

namespace chop::checkpoint {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kMagic[8] = {'C', 'H', 'O', 'P', 'C', 'K', 'P', 'T'};
constexpr size_t kFixedHeader = 32;
constexpr size_t kAlign = 64;

size_t align_up(size_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

void put_u32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u64(std::string& s, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint64_t get_le(const std::string& s, size_t at, int n_bytes) {
  uint64_t v = 0;
  for (int i = 0; i < n_bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

uint32_t crc_of(const std::string& s, size_t begin) {
  uLong crc = crc32(0L, Z_NULL, 0);
  size_t pos = begin;
  while (pos < s.size()) {  // zlib takes uInt lengths
    size_t len = std::min<size_t>(s.size() - pos, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(s.data() + pos), static_cast<uInt>(len));
    pos += len;
  }
  return static_cast<uint32_t>(crc);
}

const std::vector<std::pair<std::string, at::ScalarType>>& dtype_table() {
  static const std::vector<std::pair<std::string, at::ScalarType>> t = {
      {"float32", at::kFloat},     {"float64", at::kDouble}, {"float16", at::kHalf},
      {"bfloat16", at::kBFloat16}, {"int64", at::kLong},     {"int32", at::kInt},
      {"int16", at::kShort},       {"int8", at::kChar},      {"uint8", at::kByte},
      {"bool", at::kBool}};
  return t;
}

std::string dtype_name(at::ScalarType st) {
  for (const auto& [name, t] : dtype_table())
    if (t == st) return name;
  throw UserError(std::string("cannot save a tensor of dtype ") + c10::toString(st) +
                  " in a chop checkpoint");
}

std::string shape_text(at::IntArrayRef shape) {
  std::vector<std::string> parts;
  for (int64_t d : shape) parts.push_back(std::to_string(d));
  return "[" + join(parts, ", ") + "]";
}

/// A checkpoint file read and verified: header JSON plus the raw bytes of the tensor data.
struct Parsed {
  std::string path;
  std::string bytes;
  size_t data_begin = 0;
  Json header;

  /// The tensors the header declares, each checked against the data section before any
  /// allocation. DataError naming the tensor for any malformed entry.
  std::vector<std::pair<std::string, at::Tensor>> tensors() const {
    std::vector<std::pair<std::string, at::Tensor>> out;
    const uint64_t data_len = bytes.size() - data_begin;
    size_t index = 0;
    for (const auto& e : header.at("tensors")) {
      std::string name = "#" + std::to_string(index++);
      try {
        if (!e.is_object()) throw DataError(path, "tensor entry " + name + " is not an object");
        name = e.at("name").get<std::string>();
        std::string dt = e.at("dtype").get<std::string>();
        auto it = std::find_if(dtype_table().begin(), dtype_table().end(),
                               [&](const auto& p) { return p.first == dt; });
        if (it == dtype_table().end())
          throw DataError(path, "tensor '" + name + "' has unknown dtype '" + dt + "'");
        const Json& js = e.at("shape");
        const Json& jo = e.at("offset");
        const Json& jn = e.at("nbytes");
        if (!js.is_array() || js.size() > 16 || !jo.is_number_unsigned() ||
            !jn.is_number_unsigned())
          throw DataError(path, "tensor '" + name + "' has a malformed shape, offset or size");
        std::vector<int64_t> shape;
        for (const auto& d : js) {
          if (!d.is_number_integer() || (d.is_number_unsigned() && d.get<uint64_t>() > INT64_MAX))
            throw DataError(path, "tensor '" + name + "' has a malformed dimension " + d.dump());
          shape.push_back(d.get<int64_t>());
        }
        const uint64_t offset = jo.get<uint64_t>();
        const uint64_t nbytes = jn.get<uint64_t>();
        // Overflow-checked: a crafted shape must not wrap around to a small byte count.
        auto want = tensor_bytes(shape, c10::elementSize(it->second));
        if (!want || *want != nbytes || offset > data_len || nbytes > data_len - offset)
          throw DataError(path, "tensor '" + name + "' lies outside the data section: corrupt");
        at::Tensor t = at::empty(shape, at::TensorOptions().dtype(it->second));
        if (nbytes) std::memcpy(t.data_ptr(), bytes.data() + data_begin + offset, nbytes);
        out.emplace_back(name, t);
      } catch (const nlohmann::json::exception&) {
        throw DataError(path, "tensor entry '" + name + "' in the header is malformed");
      }
    }
    return out;
  }
};

/// `path`, or the transformed.ckpt of a `chop transform` folder; DataError for other folders.
std::string checkpoint_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return path;
  const std::string inner = (std::filesystem::path(path) / "transformed.ckpt").string();
  if (std::filesystem::is_regular_file(inner, ec)) return inner;
  throw DataError(path, "is a folder; --load expects a chop checkpoint file (.ckpt, e.g. "
                        "software/training_ckpts/best.ckpt) or a `chop transform` output folder "
                        "(which holds transformed.ckpt)");
}

Parsed parse_file(const std::string& given) {
  const std::string path = checkpoint_file(given);
  Parsed p;
  p.path = path;
  p.bytes = read_file(path);
  const std::string& b = p.bytes;
  if (b.size() < kFixedHeader || std::memcmp(b.data(), kMagic, 8) != 0)
    throw DataError(path, b.size() < 8 ? "not a chop checkpoint (file is too short)"
                                       : "not a chop checkpoint (no CHOPCKPT signature); chop "
                                         "reads only checkpoints it wrote (see "
                                         "docs/checkpoints.md)");
  uint32_t version = static_cast<uint32_t>(get_le(b, 8, 4));
  if (version < 1 || version > static_cast<uint32_t>(kCheckpointFormatVersion))
    throw DataError(path, "checkpoint format version " + std::to_string(version) +
                              " is not supported by this chop (it reads version " +
                              std::to_string(kCheckpointFormatVersion) + "); upgrade chop");
  uint64_t header_len = get_le(b, 16, 8);
  uint64_t data_len = get_le(b, 24, 8);
  // Both lengths are bounded by the file size first, so the sums below cannot wrap.
  const bool lengths_fit = header_len <= b.size() && data_len <= b.size();
  uint64_t data_begin = lengths_fit ? align_up(kFixedHeader + header_len) : 0;
  if (!lengths_fit || data_begin + data_len != b.size())
    throw DataError(path, "checkpoint is " + with_thousands(static_cast<int64_t>(b.size())) +
                              " bytes but its header announces " +
                              (lengths_fit ? with_thousands(static_cast<int64_t>(data_begin + data_len))
                                           : std::string("more")) +
                              ": truncated or corrupt");
  uint32_t crc = static_cast<uint32_t>(get_le(b, 12, 4));
  if (crc != crc_of(b, 16)) throw DataError(path, "checkpoint is corrupt (checksum mismatch)");
  try {
    p.header = Json::parse(b.begin() + kFixedHeader, b.begin() + kFixedHeader + header_len);
    if (!p.header.is_object() || !p.header.contains("format") ||
        !p.header["format"].is_string() ||
        p.header["format"].get<std::string>() != "chop-checkpoint" ||
        !p.header.contains("tensors") || !p.header["tensors"].is_array())
      throw DataError(path, "checkpoint header is malformed (no format or tensor list)");
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path, "checkpoint header is not valid JSON (" + first_line(e.what()) + ")");
  }
  p.data_begin = data_begin;
  return p;
}

CheckpointInfo info_of(const Parsed& p) {
  CheckpointInfo info;
  const Json& h = p.header;
  auto field = [&](const char* key, bool (Json::*is)() const noexcept, const char* what) -> const Json& {
    if (!h.contains(key) || !(h[key].*is)())
      throw DataError(p.path, std::string("checkpoint header field '") + key + "' is missing or not " + what);
    return h[key];
  };
  const Json& version = field("version", &Json::is_number_integer, "an integer");
  if (version.get<int64_t>() < 1 || version.get<int64_t>() > kCheckpointFormatVersion)
    throw DataError(p.path, "checkpoint header version " + version.dump() + " is not supported");
  info.format_version = static_cast<int>(version.get<int64_t>());
  info.model = field("model", &Json::is_string, "a string").get<std::string>();
  info.graph_text = field("graph", &Json::is_string, "a string").get<std::string>();
  if (h.contains("meta")) info.meta = field("meta", &Json::is_object, "an object");
  return info;
}

void copy_into(graph::Graph& g, const Parsed& p) {
  std::map<std::string, at::Tensor> saved;
  for (auto& [name, t] : p.tensors()) saved.emplace(name, t);
  std::string model_saved = p.header.contains("model") && p.header["model"].is_string()
                                ? p.header["model"].get<std::string>()
                                : std::string("?");
  const std::string what = "checkpoint " + p.path + " (model " + model_saved +
                           ") does not fit model " + g.model_name() + ": ";
  std::vector<std::string> names;
  auto check = [&](const std::string& name, const at::Tensor& dst) -> const at::Tensor& {
    names.push_back(name);
    auto it = saved.find(name);
    if (it == saved.end())
      throw UserError(what + "it has no tensor '" + name + "' " + shape_text(dst.sizes()) +
                      "; was it saved from a different model?");
    if (it->second.sizes() != dst.sizes())
      throw UserError(what + "tensor '" + name + "' has shape " + shape_text(it->second.sizes()) +
                      " in the checkpoint but " + shape_text(dst.sizes()) +
                      " in the model; was it trained with a different model or data set?");
    return it->second;
  };
  // Check everything before copying anything, so a failed load leaves `g` untouched.
  for (const auto& n : g.nodes()) {
    for (const auto& [pn, t] : n.params) check(n.target + "." + pn, t);
    for (const auto& [bn, t] : n.buffers) check(n.target + "." + bn, t);
  }
  for (const auto& [name, t] : saved) {
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw UserError(what + "the checkpoint has tensor '" + name + "' " + shape_text(t.sizes()) +
                      " that the model does not have");
  }
  at::NoGradGuard no_grad;
  for (auto& n : g.nodes()) {
    for (auto& [pn, t] : n.params) t.copy_(saved.at(n.target + "." + pn));
    for (auto& [bn, t] : n.buffers) t.copy_(saved.at(n.target + "." + bn));
  }
  if (model_saved != g.model_name())
    log_warning("loaded " + p.path + " (saved from model " + model_saved + ") into model " +
                g.model_name() + ": all tensor names and shapes match");
}

}  // namespace

void save_checkpoint(const graph::Graph& g, const std::string& path, const Json& meta) {
  Json header = Json::object();
  header["format"] = "chop-checkpoint";
  header["version"] = kCheckpointFormatVersion;
  header["model"] = g.model_name();
  header["meta"] = meta;
  header["graph"] = graph::print_graph(g);
  header["tensors"] = Json::array();
  std::vector<at::Tensor> datas;
  uint64_t offset = 0;
  for (const auto& [name, t] : g.state_dict()) {
    at::Tensor c = t.detach().to(at::kCPU).contiguous();
    uint64_t nbytes = static_cast<uint64_t>(c.numel()) * c.element_size();
    header["tensors"].push_back(Json{{"name", name},
                                     {"dtype", dtype_name(c.scalar_type())},
                                     {"shape", c.sizes().vec()},
                                     {"offset", offset},
                                     {"nbytes", nbytes}});
    datas.push_back(c);
    offset = align_up(offset + nbytes);
  }
  std::string header_text = header.dump();
  size_t data_begin = align_up(kFixedHeader + header_text.size());
  std::string bytes(data_begin + offset, '\0');
  std::memcpy(bytes.data(), kMagic, 8);
  put_u32(bytes, 8, kCheckpointFormatVersion);
  put_u64(bytes, 16, header_text.size());
  put_u64(bytes, 24, offset);
  std::memcpy(bytes.data() + kFixedHeader, header_text.data(), header_text.size());
  size_t i = 0;
  for (const auto& e : header["tensors"]) {
    const at::Tensor& c = datas[i++];
    size_t nbytes = e["nbytes"].get<size_t>();
    if (nbytes)
      std::memcpy(bytes.data() + data_begin + e["offset"].get<size_t>(), c.data_ptr(), nbytes);
  }
  put_u32(bytes, 12, crc_of(bytes, 16));
  write_file_atomic(path, bytes);
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  return info_of(parse_file(path));
}

graph::Graph load_checkpoint(const std::string& path) {
  Parsed p = parse_file(path);
  CheckpointInfo info = info_of(p);
  graph::Graph g;
  try {
    // Each declared parameter value needs at least one byte of the data section.
    g = graph::parse_graph(info.graph_text, path + " (graph text)", p.bytes.size() - p.data_begin);
  } catch (const ConfigError& e) {
    throw DataError(path, std::string("checkpoint graph text does not parse: ") + e.what());
  }
  g.set_model_name(info.model);
  // The graph and the tensors come from the same file: any disagreement is the file's fault.
  try {
    graph::verify(g);
    copy_into(g, p);
  } catch (const UserError& e) {
    throw DataError(path, std::string("checkpoint is inconsistent: ") + e.what());
  }
  return g;
}

void load_weights_into(graph::Graph& g, const std::string& path) {
  copy_into(g, parse_file(path));
}

}  // namespace chop::checkpoint
