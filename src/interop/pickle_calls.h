// interop-internal: the objects the unpickler makes, and what a REDUCE/NEWOBJ of a global
// builds for the names PyTorch files use (tensors over storages, parameters, OrderedDicts,
// tuples, protocol-2 bytes); any other global becomes an opaque object and runs nothing.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "interop/pickle_reader.h"

namespace chop::interop::pickle {

/// Every object the running unpickler makes (on this thread), so that it can unlink them all
/// when it ends (a crafted pickle can build containers that hold themselves).
extern thread_local std::vector<std::weak_ptr<Object>>* t_made;

Ref make(Object::Type t);
Ref make_int(int64_t v);
Ref make_str(std::string s, Object::Type t = Object::Type::kStr);

/// The unpickler's refusal: a DataError naming the file and the byte of data.pkl it reached.
struct Refuse {
  const std::string& where;
  const size_t& pos;
  [[noreturn]] void operator()(const std::string& msg) const;
};

/// SETITEM(S) on `d` (a dict; ignored on an opaque object), later keys replacing earlier ones.
void set_dict_items(Object& d, const std::vector<Ref>& kv, const Refuse& bad);
/// What calling global `fn` with the tuple `args` builds; see the file comment.
Ref call_global(const Ref& fn, const Ref& args, const Refuse& bad);

}  // namespace chop::interop::pickle
