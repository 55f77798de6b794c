// PyTorch state dicts and Lightning checkpoints; see torch_file.h. The zip container is read
// with LibTorch's own caffe2::serialize::PyTorchStreamReader; data.pkl with chop's restricted
// unpickler (pickle_reader.h).
#include "interop/torch_file.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <unzip.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/files.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/ops.h"
#include "interop/pickle_reader.h"

// The zip reader inside LibTorch (miniz, which PyTorchStreamReader uses and libtorch_cpu exports;
// no header ships it). Only pointers to the archive cross this boundary.
extern "C" {
struct mz_zip_archive;
int mz_zip_reader_init_file(mz_zip_archive* zip, const char* path, uint32_t flags);
int mz_zip_reader_end(mz_zip_archive* zip);
unsigned mz_zip_reader_get_num_files(mz_zip_archive* zip);
unsigned mz_zip_reader_get_filename(mz_zip_archive* zip, unsigned index, char* name,
                                    unsigned name_size);
int mz_zip_reader_locate_file(mz_zip_archive* zip, const char* name, const char* comment,
                              unsigned flags);
int mz_zip_reader_extract_to_mem(mz_zip_archive* zip, unsigned index, void* buf, size_t buf_size,
                                 unsigned flags);
}

namespace chop::interop {
namespace {

/// An open miniz reader, ended on scope exit. Its storage is zeroed and far larger than miniz's
/// mz_zip_archive (~112 bytes in miniz 2.x), which is all miniz asks of a caller.
class ZipReader {
 public:
  explicit ZipReader(const std::string& path) {
    open_ = mz_zip_reader_init_file(archive(), path.c_str(), 0) != 0;
  }
  ~ZipReader() {
    if (open_) mz_zip_reader_end(archive());
  }
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;
  bool open() const { return open_; }
  mz_zip_archive* archive() { return reinterpret_cast<mz_zip_archive*>(storage_); }

 private:
  alignas(16) unsigned char storage_[2048] = {};
  bool open_ = false;
};

/// An archive's central directory read with minizip (a second, independent zip reader), to
/// size every record before LibTorch's getRecord allocates what the directory declares: a
/// crafted directory can declare 4 GiB in a 200-byte file. Closed on scope exit.
class ZipDirectory {
 public:
  explicit ZipDirectory(const std::string& path) : zip_(unzOpen64(path.c_str())) {}
  ~ZipDirectory() {
    if (zip_) unzClose(zip_);
  }
  ZipDirectory(const ZipDirectory&) = delete;
  ZipDirectory& operator=(const ZipDirectory&) = delete;
  unzFile get() const { return zip_; }

 private:
  unzFile zip_;
};

/// Refuses a record whose declared size cannot be true of this file or does not fit the memory
/// budget. torch.save stores records uncompressed, so a stored record holds exactly its
/// compressed bytes, all inside the file; a deflated one (other writers) inflates at most
/// ~1032:1, deflate's limit.
void check_record_sizes(const std::string& path) {
  constexpr uint64_t kDeflateMaxRatio = 1032;
  constexpr int kStored = 0;
  constexpr int kDeflated = 8;
  std::error_code ec;
  const uint64_t file_bytes = std::filesystem::file_size(path, ec);
  if (ec) throw DataError(path, "cannot read its size: " + ec.message());
  ZipDirectory zip(path);
  if (!zip.get() || unzGoToFirstFile(zip.get()) != UNZ_OK)
    throw DataError(path, "not a readable PyTorch archive (corrupt zip central directory)");
  do {
    unz_file_info64 info{};
    char name[512] = {0};
    if (unzGetCurrentFileInfo64(zip.get(), &info, name, sizeof(name) - 1, nullptr, 0, nullptr, 0) !=
        UNZ_OK)
      throw DataError(path, "not a readable PyTorch archive (corrupt zip central directory)");
    const std::string record = "record '" + std::string(name) + "'";
    if (info.compression_method != kStored && info.compression_method != kDeflated)
      throw DataError(path, record + " uses zip compression method " +
                                std::to_string(info.compression_method) +
                                ", which torch.save never writes");
    if (info.compressed_size > file_bytes)
      throw DataError(path, record + " declares " + std::to_string(info.compressed_size) +
                                " bytes in a file of " + std::to_string(file_bytes) +
                                " (truncated or corrupt archive)");
    const bool stored = info.compression_method == kStored;
    if ((stored && info.uncompressed_size != info.compressed_size) ||
        (!stored && info.uncompressed_size / kDeflateMaxRatio > info.compressed_size))
      throw DataError(path, record + " declares " + std::to_string(info.uncompressed_size) +
                                " bytes from " + std::to_string(info.compressed_size) +
                                " stored (corrupt archive)");
    check_file_memory(path, info.uncompressed_size, record);
  } while (unzGoToNextFile(zip.get()) == UNZ_OK);
}

/// Refuses, with a DataError, every archive LibTorch's PyTorchStreamReader constructor would
/// throw on. That constructor leaks its open zip reader when it throws (it never runs its own
/// destructor), so chop only constructs it on archives it accepts: a readable zip whose first
/// record sits in a folder holding a `version` (or `.data/version`) record with a supported
/// format version. Mirrors PyTorchStreamReader::init of LibTorch 1.13.
void check_torch_zip(const std::string& path) {
  ZipReader zip(path);
  if (!zip.open())
    throw DataError(path, "not a readable PyTorch archive (truncated or corrupt zip)");
  if (mz_zip_reader_get_num_files(zip.archive()) == 0)
    throw DataError(path, "an empty zip archive: not written by torch.save");
  check_record_sizes(path);
  char first[512] = {0};
  if (mz_zip_reader_get_filename(zip.archive(), 0, first, sizeof(first)) == 0)
    throw DataError(path, "not a readable PyTorch archive (unreadable record name)");
  const std::string name(first);
  const size_t slash = name.find('/');
  if (slash == std::string::npos)
    throw DataError(path,
                    "a zip archive whose records are not in one folder: not written by "
                    "torch.save");
  const std::string folder = name.substr(0, slash + 1);
  int index =
      mz_zip_reader_locate_file(zip.archive(), (folder + ".data/version").c_str(), nullptr, 0);
  if (index < 0)
    index = mz_zip_reader_locate_file(zip.archive(), (folder + "version").c_str(), nullptr, 0);
  if (index < 0)
    throw DataError(path, "a zip archive without a version record: not written by torch.save");
  char text[32] = {0};
  if (!mz_zip_reader_extract_to_mem(zip.archive(), static_cast<unsigned>(index), text,
                                    sizeof(text) - 1, 0))
    throw DataError(path, "its version record is unreadable (truncated or corrupt archive)");
  std::string version(text);
  while (!version.empty() && std::isspace(static_cast<unsigned char>(version.back())))
    version.pop_back();
  const std::optional<int64_t> v = parse_int64(version);
  if (!v || *v < static_cast<int64_t>(caffe2::serialize::kMinSupportedFileFormatVersion) ||
      *v > static_cast<int64_t>(caffe2::serialize::kMaxSupportedFileFormatVersion))
    throw DataError(path, "archive format version '" + version.substr(0, 20) +
                              "' is not one this LibTorch reads (" +
                              std::to_string(caffe2::serialize::kMinSupportedFileFormatVersion) +
                              " to " +
                              std::to_string(caffe2::serialize::kMaxSupportedFileFormatVersion) +
                              "); save it with an older PyTorch or a newer chop build");
}

using pickle::Object;
using pickle::Ref;
using Type = Object::Type;

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

std::string shape_text(at::IntArrayRef s) {
  return graph::shape_str(s.vec());
}

Ref read_pickle(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw DataError(path, "no such checkpoint file; check the --load path");
  if (!is_torch_zip(path)) {
    std::ifstream f(path, std::ios::binary);
    char head[2] = {0, 0};
    f.read(head, 2);
    if (static_cast<unsigned char>(head[0]) == 0x80)
      throw DataError(path,
                      "saved in PyTorch's pre-1.6 format (_use_new_zipfile_serialization="
                      "False); load it in PyTorch and torch.save it again");
    throw DataError(path,
                    "not a PyTorch file (torch.save writes a zip archive) nor a chop "
                    "checkpoint");
  }
  check_torch_zip(path);
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (!reader.hasRecord("data.pkl"))
      throw DataError(path, "a zip archive without data.pkl: not written by torch.save");
    if (reader.hasRecord("byteorder")) {
      auto [ptr, size] = reader.getRecord("byteorder");
      std::string order(static_cast<const char*>(ptr.get()), size);
      if (order != "little")
        throw DataError(path, "tensors saved in " + order + "-endian byte order");
    }
    auto [pkl, pkl_size] = reader.getRecord("data.pkl");
    std::string program(static_cast<const char*>(pkl.get()), pkl_size);
    pickle::StorageLoader load = [&](const std::string& key, at::ScalarType dtype, int64_t numel) {
      const std::string record = "data/" + key;
      if (!reader.hasRecord(record))
        throw DataError(path, "tensor storage '" + record + "' is missing (truncated archive?)");
      auto [data, size] = reader.getRecord(record);
      const size_t item = c10::elementSize(dtype);
      if (numel < 0 || size != static_cast<size_t>(numel) * item)
        throw DataError(path, "tensor storage '" + record + "' holds " + std::to_string(size) +
                                  " bytes, expected " +
                                  std::to_string(numel * static_cast<int64_t>(item)));
      at::Tensor t = at::empty({numel}, at::TensorOptions().dtype(dtype));
      if (size) std::memcpy(t.data_ptr(), data.get(), size);
      return t;
    };
    return pickle::unpickle(program, load, path);
  } catch (const c10::Error& e) {
    throw DataError(path, "not a readable PyTorch archive (truncated or corrupt): " +
                              first_line(e.what_without_backtrace()));
  }
}

// The dict of name -> tensor inside a loaded file, and what it was.
const Object* find_state_dict(const Ref& top, const std::string& path, std::string& what,
                              bool& lightning) {
  if (top->type == Type::kOpaque)
    throw DataError(path, "holds a pickled " + top->name +
                              " object, not a state dict (torch.save(model) pickles the whole "
                              "module): save model.state_dict() instead");
  if (top->type != Type::kDict)
    throw DataError(path, "holds a " + top->type_name() + ", not a state dict");
  lightning = top->find("pytorch-lightning_version") != nullptr;
  if (const Ref* sd = top->find("state_dict")) {
    if ((*sd)->type != Type::kDict)
      throw DataError(path, "its 'state_dict' entry is a " + (*sd)->type_name() + ", not a dict");
    what = lightning ? "Lightning checkpoint" : "checkpoint";
    if (const Ref* epoch = top->find("epoch"); epoch && (*epoch)->type == Type::kInt)
      what += " (epoch " + std::to_string((*epoch)->i) + ")";
    return sd->get();
  }
  what = "state dict";
  return top.get();
}

/// Tensors from a state dict's bytes (torch.save'd dict of name -> tensor).
std::map<std::string, at::Tensor> unpickle_state_dict(const std::string& raw,
                                                      const std::string& path) {
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
    const at::Tensor& t = e.value().toTensor();
    if (t.layout() != at::kStrided || t.is_quantized() || t.is_complex() || !t.defined())
      throw DataError(path, "tensor '" + e.key().toStringRef() +
                                "' is not a dense real tensor (sparse, quantized or complex)");
    loaded[e.key().toStringRef()] = t;
  }
  return loaded;
}

void fill_from(graph::Graph& g, const std::map<std::string, at::Tensor>& loaded,
               const std::string& path) {
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
        try {
          t.copy_(it->second.to(t.dtype()));
        } catch (const c10::Error& e) {
          std::string msg = e.what_without_backtrace();
          throw DataError(
              path, "tensor '" + key + "' cannot be loaded: " + msg.substr(0, msg.find('\n')));
        }
      }
    };
    fill(n.params);
    fill(n.buffers);
  }
}

}  // namespace

bool is_torch_zip(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {0, 0, 0, 0};
  f.read(magic, 4);
  return f.gcount() == 4 && std::memcmp(magic, "PK\x03\x04", 4) == 0;
}

TorchStateDict read_torch_state_dict(const std::string& path, TorchLoadType type) {
  Ref top = read_pickle(path);
  TorchStateDict out;
  bool lightning = false;
  const Object* sd = find_state_dict(top, path, out.what, lightning);
  bool all_model = !sd->dict.empty();
  for (const auto& [k, v] : sd->dict) {
    if (k->type != Type::kStr)
      throw DataError(path, "state dict key of type " + k->type_name() + " (expected names)");
    all_model &= starts_with(k->s, "model.");
  }
  // MASE's pl loading strips the Lightning wrapper's "model." prefix.
  const bool strip =
      type == TorchLoadType::kPl || (type == TorchLoadType::kAuto && (lightning || all_model));
  if (type == TorchLoadType::kPl && !lightning && !all_model)
    log_warning(path +
                ": --load-type pl, but this is a plain state dict without \"model.\" "
                "prefixes; reading it as one");
  for (const auto& [k, v] : sd->dict) {
    std::string name = k->s;
    if (strip) {
      if (!starts_with(name, "model.")) {
        if (lightning || type == TorchLoadType::kPl) {
          out.ignored.push_back(name);
          continue;
        }
      } else {
        name = name.substr(6);
      }
    }
    if (v->type != Type::kTensor)
      throw DataError(path, "entry '" + k->s + "' is a " + v->type_name() + ", not a tensor");
    out.tensors.emplace_back(name, v->tensor);
  }
  if (out.tensors.empty()) throw DataError(path, "the " + out.what + " holds no tensors");
  return out;
}

void load_torch_weights(graph::Graph& g, const std::string& path, TorchLoadType type) {
  TorchStateDict sd = read_torch_state_dict(path, type);
  std::map<std::string, at::Tensor> file(sd.tensors.begin(), sd.tensors.end());
  std::vector<std::string> missing, wrong, names;
  for (const auto& n : g.nodes())
    for (const auto* list : {&n.params, &n.buffers})
      for (const auto& [pn, t] : *list) {
        const std::string key = n.target + "." + pn;
        names.push_back(key);
        auto it = file.find(key);
        if (it == file.end()) {
          missing.push_back("'" + key + "' " + shape_text(t.sizes()) + " (node " + n.name + ")");
        } else if (it->second.sizes() != t.sizes()) {
          wrong.push_back("'" + key + "' is " + shape_text(it->second.sizes()) + " in the file, " +
                          shape_text(t.sizes()) + " in node " + n.name);
        }
      }
  std::vector<std::string> extra;
  for (const auto& [k, t] : sd.tensors)
    if (std::find(names.begin(), names.end(), k) == names.end())
      extra.push_back("'" + k + "' " + shape_text(t.sizes()));
  auto listing = [](const std::vector<std::string>& v) {
    std::vector<std::string> head(v.begin(), v.begin() + std::min<size_t>(v.size(), 6));
    return join(head, ", ") +
           (v.size() > 6 ? " and " + std::to_string(v.size() - 6) + " more" : "");
  };
  const std::string what =
      path + " (" + sd.what + ") does not fit model '" + g.model_name() + "': ";
  if (!wrong.empty()) throw UserError(what + "tensor " + listing(wrong));
  if (!missing.empty())
    throw UserError(what + "the file has no tensor " + listing(missing) +
                    "; was it saved from a different model?");
  if (!extra.empty())
    throw UserError(what + "the file has tensor " + listing(extra) +
                    " that the model does not have");
  if (!sd.ignored.empty())
    log_info(path + ": ignored " + std::to_string(sd.ignored.size()) +
             " Lightning entries outside \"model.\" (" + listing(sd.ignored) + ")");
  at::NoGradGuard no_grad;
  for (auto& n : g.nodes())
    for (auto* list : {&n.params, &n.buffers})
      for (auto& [pn, t] : *list) t.copy_(file.at(n.target + "." + pn).to(t.dtype()));
}

void save_torch_state_dict(const graph::Graph& g, const std::string& path) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, t] : g.state_dict()) dict.insert(name, t.detach().to(at::kCPU));
  std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

void load_pickled_state_dict(graph::Graph& g, const std::string& bytes, const std::string& path) {
  fill_from(g, unpickle_state_dict(bytes, path), path);
}

}  // namespace chop::interop
