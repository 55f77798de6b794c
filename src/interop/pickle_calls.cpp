// What REDUCE/NEWOBJ build for PyTorch's globals, and the unpickler's object factory; see
// pickle_calls.h.
#include "interop/pickle_calls.h"

#include "core/error.h"

namespace chop::interop::pickle {

using Type = Object::Type;

thread_local std::vector<std::weak_ptr<Object>>* t_made = nullptr;

Ref make(Type t) {
  auto o = std::make_shared<Object>();
  o->type = t;
  if (t_made) t_made->push_back(o);
  return o;
}
Ref make_int(int64_t v) {
  Ref o = make(Type::kInt);
  o->i = v;
  return o;
}
Ref make_str(std::string s, Type t) {
  Ref o = make(t);
  o->s = std::move(s);
  return o;
}

void Refuse::operator()(const std::string& msg) const {
  throw DataError(where, "not a readable PyTorch file (" + msg + " at byte " + std::to_string(pos) +
                             " of data.pkl)");
}

void set_dict_items(Object& d, const std::vector<Ref>& kv, const Refuse& bad) {
  if (kv.size() % 2) bad("SETITEMS with an odd number of items");
  if (d.type == Type::kOpaque) return;
  if (d.type != Type::kDict) bad("SETITEM on a " + d.type_name());
  for (size_t k = 0; k < kv.size(); k += 2) {
    bool replaced = false;
    for (auto& [key, value] : d.dict)
      if (key->type == kv[k]->type && key->type == Type::kStr && key->s == kv[k]->s) {
        value = kv[k + 1];
        replaced = true;
      }
    if (!replaced) d.dict.emplace_back(kv[k], kv[k + 1]);
  }
}

namespace {

const std::vector<Ref>& args_of(const Ref& args, const Refuse& bad) {
  if (args->type != Type::kTuple) bad("call arguments are not a tuple");
  return args->items;
}
std::vector<int64_t> ints(const Ref& t) {
  std::vector<int64_t> v;
  for (const auto& e : t->items) v.push_back(e->i);
  return v;
}

Ref rebuild_tensor(const std::vector<Ref>& a, const Refuse& bad) {
  if (a.size() < 4 || a[0]->type != Type::kTensor || a[1]->type != Type::kInt ||
      a[2]->type != Type::kTuple || a[3]->type != Type::kTuple)
    bad("malformed tensor record");
  const at::Tensor& storage = a[0]->tensor;
  const std::vector<int64_t> size = ints(a[2]), stride = ints(a[3]);
  if (size.size() != stride.size()) bad("tensor sizes and strides differ in length");
  const int64_t offset = a[1]->i;
  int64_t last = offset;
  bool empty = false;
  for (size_t k = 0; k < size.size(); ++k) {
    if (size[k] < 0 || stride[k] < 0) bad("negative tensor size or stride");
    if (size[k] == 0)
      empty = true;
    else
      last += (size[k] - 1) * stride[k];
  }
  Ref o = make(Type::kTensor);
  if (empty) {
    o->tensor = at::empty(size, storage.options());
  } else {
    if (offset < 0 || last >= storage.numel()) bad("a tensor reaches past its storage");
    o->tensor = storage.as_strided(size, stride, offset).contiguous();
  }
  return o;
}

}  // namespace

Ref call_global(const Ref& fn, const Ref& args_ref, const Refuse& bad) {
  if (fn->type != Type::kGlobal) {
    Ref o = make(Type::kOpaque);
    o->name = "<call>";
    return o;
  }
  const std::string& f = fn->name;
  const auto& a = args_of(args_ref, bad);
  if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor")
    return rebuild_tensor(a, bad);
  if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
    if (a.empty() || a[0]->type != Type::kTensor) bad("malformed parameter record");
    return a[0];
  }
  if (f == "torch._tensor._rebuild_from_type_v2" || f == "torch._tensor._rebuild_from_type") {
    if (a.size() < 3) bad("malformed tensor subclass record");
    return call_global(a[0], a[2], bad);
  }
  // LibTorch's own pickler (torch::pickle_save, chop's state.pt) tags containers and lists.
  if (f == "torch.jit._pickle.restore_type_tag" || f == "torch.jit._pickle.build_intlist" ||
      f == "torch.jit._pickle.build_tensorlist" || f == "torch.jit._pickle.build_doublelist" ||
      f == "torch.jit._pickle.build_boollist") {
    if (a.empty()) bad("malformed " + f);
    return a[0];
  }
  if (f == "collections.OrderedDict" || f == "builtins.dict") {
    Ref d = make(Type::kDict);
    if (!a.empty() && (a[0]->type == Type::kList || a[0]->type == Type::kTuple))
      for (const auto& kv : a[0]->items)
        if (kv->items.size() == 2) set_dict_items(*d, {kv->items[0], kv->items[1]}, bad);
    return d;
  }
  if (f == "builtins.set" || f == "builtins.frozenset" || f == "builtins.list") {
    Ref l = make(Type::kList);
    if (!a.empty()) l->items = a[0]->items;
    return l;
  }
  if (f == "torch.Size" || f == "builtins.tuple") {
    Ref t = make(Type::kTuple);
    if (!a.empty()) t->items = a[0]->items;
    return t;
  }
  if (f == "_codecs.encode" && !a.empty() && a[0]->type == Type::kStr) {
    // Protocol 2 writes bytes as _codecs.encode(text, "latin1"); undo the UTF-8 of the text.
    std::string out;
    const std::string& s = a[0]->s;
    for (size_t k = 0; k < s.size(); ++k) {
      const auto c = static_cast<unsigned char>(s[k]);
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else if (k + 1 < s.size()) {
        out += static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(s[k + 1]) & 0x3f));
        ++k;
      }
    }
    return make_str(out, Type::kBytes);
  }
  // Anything else (dataclasses, argparse.Namespace, numpy scalars, torch.device, ...):
  // an opaque object that remembers its class and arguments but runs nothing.
  Ref o = make(Type::kOpaque);
  o->name = f;
  o->items = a;
  return o;
}

}  // namespace chop::interop::pickle
