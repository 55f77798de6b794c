// interop-internal: a restricted unpickler for torch.save files (pickle protocols 2-5, as
// PyTorch writes them). It never imports or runs Python code: a class or function it does not
// know becomes an opaque object, so Lightning checkpoints holding dataclasses, Namespaces,
// optimizer and callback states load safely. LibTorch 1.13's own unpickler
// (torch::pickle_load) turns collections.OrderedDict into None and rejects non-torch classes,
// so it cannot read `torch.save(model.state_dict())` or a Lightning checkpoint.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace chop::interop::pickle {

struct Object;
using Ref = std::shared_ptr<Object>;

struct Object {
  enum class Type {
    kNone,
    kBool,
    kInt,
    kFloat,
    kStr,
    kBytes,
    kList,
    kTuple,
    kDict,
    kGlobal,  // a class or function reference: `name` is "module.qualname"
    kOpaque,  // an instance of a class chop does not know: `name`, `items` (args), `state`
    kTensor,  // a tensor (or a storage, as a 1-D tensor)
  };
  Type type = Type::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;                          // str / bytes
  std::string name;                       // global / opaque class
  std::vector<Ref> items;                 // list / tuple / opaque args
  std::vector<std::pair<Ref, Ref>> dict;  // dict / OrderedDict, in insertion order
  Ref state;                              // opaque: what BUILD set
  at::Tensor tensor;

  const Ref* find(const std::string& key) const;  // dict lookup by string key
  std::string type_name() const;
};

/// Loads storage `key` (a record "data/<key>" of the zip) as a 1-D tensor of `dtype` with
/// `numel` elements; DataError when the record is missing or of the wrong size.
using StorageLoader =
    std::function<at::Tensor(const std::string& key, at::ScalarType dtype, int64_t numel)>;

/// Runs the pickle program `data` (the zip's data.pkl); DataError naming `where` when it is
/// truncated, malformed or uses something this reader refuses (extensions, out-of-band buffers).
Ref unpickle(const std::string& data, const StorageLoader& load_storage, const std::string& where);

}  // namespace chop::interop::pickle
