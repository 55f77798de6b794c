// ONNX protobuf helpers; see onnx_proto.h.
#include "interop/onnx_proto.h"

#include <onnx/checker.h>

#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"

namespace chop::interop::onnx_io {
namespace {

// Element counts above this are refused before allocating (2^31 floats = 8 GiB).
constexpr int64_t kMaxElements = int64_t{1} << 31;

struct DTypeInfo {
  int onnx_type;
  at::ScalarType raw;     // how raw_data is laid out
  at::ScalarType result;  // what chop keeps
  const char* name;
};

const std::vector<DTypeInfo>& dtype_table() {
  using T = onnx::TensorProto;
  static const std::vector<DTypeInfo> t = {
      {T::FLOAT, at::kFloat, at::kFloat, "float32"},
      {T::DOUBLE, at::kDouble, at::kFloat, "float64"},
      {T::FLOAT16, at::kHalf, at::kFloat, "float16"},
      {T::BFLOAT16, at::kBFloat16, at::kFloat, "bfloat16"},
      {T::INT64, at::kLong, at::kLong, "int64"},
      {T::INT32, at::kInt, at::kLong, "int32"},
      {T::INT16, at::kShort, at::kLong, "int16"},
      {T::INT8, at::kChar, at::kLong, "int8"},
      {T::UINT8, at::kByte, at::kLong, "uint8"},
      {T::BOOL, at::kBool, at::kBool, "bool"},
  };
  return t;
}

}  // namespace

onnx::ModelProto read_model(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) throw DataError(path, "no such ONNX file; check the model path");
  if (fs::is_directory(path)) throw DataError(path, "is a folder, not an ONNX file");
  const std::string bytes = read_file(path);
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes))
    throw DataError(path,
                    "not a readable ONNX model (the protobuf does not parse: the file is "
                    "truncated, corrupt or not ONNX); re-export it");
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw DataError(path, "the ONNX model has no graph nodes (truncated or empty export?)");
  for (const auto& t : model.graph().initializer())
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
      throw DataError(path, "initializer '" + t.name() +
                                "' keeps its data in an external file; chop reads "
                                "self-contained ONNX files (re-export below 2 GB without "
                                "external data)");
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    throw DataError(path,
                    "the ONNX checker rejects the model: " + trim(msg.substr(0, msg.find("\n\n"))) +
                        " (chop reads valid ONNX files of IR version <= 8, opset <= 17)");
  }
  return model;
}

void check_built_model(const onnx::ModelProto& model, const std::string& what) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw InternalError(what + ": the exported model fails onnx::checker: " + e.what());
  }
}

int64_t default_opset(const onnx::ModelProto& model) {
  for (const auto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  return 0;
}

at::Tensor to_tensor(const onnx::TensorProto& t, const std::string& where) {
  const DTypeInfo* info = nullptr;
  for (const auto& d : dtype_table())
    if (d.onnx_type == t.data_type()) info = &d;
  if (!info)
    throw UserError(where + ": tensor of ONNX data type " + std::to_string(t.data_type()) +
                    " is not supported (chop reads float32/64/16, bfloat16, int8-64, uint8, bool)");
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  // The product of the non-zero dimensions is bounded too: a 0 makes the tensor empty, but
  // LibTorch still computes the strides of [0, 2^31, 2^31, 2^31], which overflow (fuzz findings).
  int64_t numel = 1, nonzero_product = 1;
  for (int64_t d : dims) {
    if (d < 0) throw DataError(where, "tensor has a negative dimension");
    if (d > 0 && nonzero_product > kMaxElements / d)
      throw DataError(where, "tensor of more than 2^31 elements is refused");
    if (d > 0) nonzero_product *= d;
    numel *= d;
  }
  const at::TensorOptions raw_opts = at::TensorOptions().dtype(info->raw);
  at::Tensor out;
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    const size_t item = c10::elementSize(info->raw);
    if (raw.size() != static_cast<size_t>(numel) * item)
      throw DataError(where, "tensor holds " + std::to_string(raw.size()) + " bytes for " +
                                 std::to_string(numel) + " " + info->name +
                                 " values (truncated or corrupt)");
    out = at::empty(dims, raw_opts);
    if (numel) std::memcpy(out.data_ptr(), raw.data(), raw.size());
  } else {
    auto check_count = [&](int64_t n) {
      if (n != numel)
        throw DataError(where, "tensor holds " + std::to_string(n) + " values for shape of " +
                                   std::to_string(numel) + " (truncated or corrupt)");
    };
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT:
        check_count(t.float_data_size());
        out = at::empty(dims, at::kFloat);
        std::copy(t.float_data().begin(), t.float_data().end(), out.data_ptr<float>());
        break;
      case onnx::TensorProto::DOUBLE:
        check_count(t.double_data_size());
        out = at::empty(dims, at::kDouble);
        std::copy(t.double_data().begin(), t.double_data().end(), out.data_ptr<double>());
        break;
      case onnx::TensorProto::INT64:
        check_count(t.int64_data_size());
        out = at::empty(dims, at::kLong);
        std::copy(t.int64_data().begin(), t.int64_data().end(), out.data_ptr<int64_t>());
        break;
      case onnx::TensorProto::INT32:
      case onnx::TensorProto::INT16:
      case onnx::TensorProto::INT8:
      case onnx::TensorProto::UINT8:
      case onnx::TensorProto::BOOL: {
        check_count(t.int32_data_size());
        out = at::empty(dims, at::kLong);
        std::copy(t.int32_data().begin(), t.int32_data().end(), out.data_ptr<int64_t>());
        break;
      }
      default:
        throw UserError(where + ": " + info->name + " tensor without raw data is not supported");
    }
  }
  return out.to(info->result).contiguous();
}

void from_tensor(const at::Tensor& t_in, const std::string& name, onnx::TensorProto* out) {
  at::Tensor t = t_in.detach().to(at::kCPU).contiguous();
  out->set_name(name);
  for (int64_t d : t.sizes()) out->add_dims(d);
  switch (t.scalar_type()) {
    case at::kFloat:
      out->set_data_type(onnx::TensorProto::FLOAT);
      break;
    case at::kLong:
      out->set_data_type(onnx::TensorProto::INT64);
      break;
    case at::kChar:
      out->set_data_type(onnx::TensorProto::INT8);
      break;
    case at::kByte:
      out->set_data_type(onnx::TensorProto::UINT8);
      break;
    default:
      t = t.to(at::kFloat);
      out->set_data_type(onnx::TensorProto::FLOAT);
  }
  out->set_raw_data(std::string(static_cast<const char*>(t.data_ptr()),
                                static_cast<size_t>(t.numel()) * t.element_size()));
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::string op_label(const onnx::NodeProto& n) {
  if (n.domain().empty() || n.domain() == "ai.onnx") return n.op_type();
  return n.domain() + ":" + n.op_type();
}

}  // namespace chop::interop::onnx_io
