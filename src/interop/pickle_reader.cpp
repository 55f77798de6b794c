// The pickle virtual machine for torch.save files; see pickle_reader.h. Opcodes follow
// CPython's Lib/pickletools.py (protocols 0-5, minus extensions and out-of-band buffers).
#include "interop/pickle_reader.h"

#include "interop/pickle_calls.h"

#include <cstring>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"

namespace chop::interop::pickle {

const Ref* Object::find(const std::string& key) const {
  for (const auto& [k, v] : dict)
    if (k && k->type == Type::kStr && k->s == key) return &v;
  return nullptr;
}

std::string Object::type_name() const {
  switch (type) {
    case Type::kNone:
      return "None";
    case Type::kBool:
      return "bool";
    case Type::kInt:
      return "int";
    case Type::kFloat:
      return "float";
    case Type::kStr:
      return "str";
    case Type::kBytes:
      return "bytes";
    case Type::kList:
      return "list";
    case Type::kTuple:
      return "tuple";
    case Type::kDict:
      return "dict";
    case Type::kGlobal:
      return "global " + name;
    case Type::kOpaque:
      return name + " object";
    case Type::kTensor:
      return "tensor";
  }
  return "?";
}

namespace {

using Type = Object::Type;

const std::map<std::string, at::ScalarType>& storage_types() {
  static const std::map<std::string, at::ScalarType> m = {
      {"FloatStorage", at::kFloat}, {"DoubleStorage", at::kDouble},
      {"HalfStorage", at::kHalf},   {"BFloat16Storage", at::kBFloat16},
      {"LongStorage", at::kLong},   {"IntStorage", at::kInt},
      {"ShortStorage", at::kShort}, {"CharStorage", at::kChar},
      {"ByteStorage", at::kByte},   {"BoolStorage", at::kBool}};
  return m;
}

class Machine {
 public:
  Machine(const std::string& data, const StorageLoader& loader, const std::string& where)
      : d_(data), load_(loader), where_(where), outer_made_(t_made) {
    t_made = &made_;
  }
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;
  // A crafted pickle can make containers that hold themselves (APPEND of a memoized list to
  // itself, ...); shared_ptr never frees such a cycle. Whatever the run built that is not the
  // returned (acyclic) object is unlinked here, so an error or a discarded object frees it all.
  ~Machine() {
    unlink_all_but_result();
    t_made = outer_made_;
  }

  Ref run() {
    while (true) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80:  // PROTO
          byte();
          break;
        case 0x95:  // FRAME
          bytes(8);
          break;
        case '.':  // STOP
          if (stack_.empty()) bad("STOP with an empty stack");
          if (has_cycle(stack_.back()))
            bad("an object that contains itself (a state dict never does)");
          result_ = stack_.back();
          return result_;
        case '(':  // MARK
          marks_.push_back(stack_.size());
          break;
        case 'N':
          push(make(Type::kNone));
          break;
        case 0x88:    // NEWTRUE
        case 0x89: {  // NEWFALSE
          Ref o = make(Type::kBool);
          o->b = op == 0x88;
          push(o);
          break;
        }
        case 'J':
          push(make_int(static_cast<int32_t>(le(4))));
          break;
        case 'K':
          push(make_int(static_cast<int64_t>(le(1))));
          break;
        case 'M':
          push(make_int(static_cast<int64_t>(le(2))));
          break;
        case 0x8a:  // LONG1
          push(make_int(long_bytes(le(1))));
          break;
        case 0x8b:  // LONG4
          push(make_int(long_bytes(le(4))));
          break;
        case 'I':    // INT (text)
        case 'L': {  // LONG (text)
          std::string t = line();
          if (!t.empty() && t.back() == 'L') t.pop_back();
          if (t == "01" || t == "00") {
            Ref o = make(Type::kBool);
            o->b = t == "01";
            push(o);
          } else {
            push(make_int(parse_int(t)));
          }
          break;
        }
        case 'G': {  // BINFLOAT, big-endian
          uint64_t bits = 0;
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | byte();
          Ref o = make(Type::kFloat);
          std::memcpy(&o->f, &bits, 8);
          push(o);
          break;
        }
        case 'X':  // BINUNICODE
          push(make_str(bytes(le(4))));
          break;
        case 0x8c:  // SHORT_BINUNICODE
          push(make_str(bytes(le(1))));
          break;
        case 0x8d:  // BINUNICODE8
          push(make_str(bytes(le(8))));
          break;
        case 'T':  // BINSTRING
          push(make_str(bytes(le(4))));
          break;
        case 'U':  // SHORT_BINSTRING
          push(make_str(bytes(le(1))));
          break;
        case 'B':  // BINBYTES
          push(make_str(bytes(le(4)), Type::kBytes));
          break;
        case 'C':  // SHORT_BINBYTES
          push(make_str(bytes(le(1)), Type::kBytes));
          break;
        case 0x8e:  // BINBYTES8
        case 0x96:  // BYTEARRAY8
          push(make_str(bytes(le(8)), Type::kBytes));
          break;
        case ']':  // EMPTY_LIST
          push(make(Type::kList));
          break;
        case '}':  // EMPTY_DICT
          push(make(Type::kDict));
          break;
        case ')':  // EMPTY_TUPLE
          push(make(Type::kTuple));
          break;
        case 0x8f:  // EMPTY_SET
          push(make(Type::kList));
          break;
        case 'l': {  // LIST
          Ref o = make(Type::kList);
          o->items = pop_mark();
          push(o);
          break;
        }
        case 't':
        case 0x91: {  // TUPLE, FROZENSET
          Ref o = make(op == 't' ? Type::kTuple : Type::kList);
          o->items = pop_mark();
          push(o);
          break;
        }
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          const size_t n = op - 0x84u;
          if (stack_.size() < n) bad("TUPLE with too few items");
          Ref o = make(Type::kTuple);
          o->items.assign(stack_.end() - static_cast<long>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(o);
          break;
        }
        case 'd': {  // DICT
          auto items = pop_mark();
          Ref o = make(Type::kDict);
          set_items(*o, items);
          push(o);
          break;
        }
        case 'a': {  // APPEND
          Ref v = pop();
          append(top(), {v});
          break;
        }
        case 'e':     // APPENDS
        case 0x90: {  // ADDITEMS
          auto items = pop_mark();
          append(top(), items);
          break;
        }
        case 's': {  // SETITEM
          Ref v = pop(), k = pop();
          set_items(*top(), {k, v});
          break;
        }
        case 'u': {  // SETITEMS
          auto items = pop_mark();
          set_items(*top(), items);
          break;
        }
        case 'q':  // BINPUT
          memo_[le(1)] = top();
          break;
        case 'r':  // LONG_BINPUT
          memo_[le(4)] = top();
          break;
        case 'p':  // PUT
          memo_[static_cast<uint64_t>(parse_int(line()))] = top();
          break;
        case 0x94:  // MEMOIZE
          memo_[memo_.size()] = top();
          break;
        case 'h':  // BINGET
          push(get(le(1)));
          break;
        case 'j':  // LONG_BINGET
          push(get(le(4)));
          break;
        case 'g':  // GET
          push(get(static_cast<uint64_t>(parse_int(line()))));
          break;
        case '0':  // POP
          pop();
          break;
        case '1':  // POP_MARK
          pop_mark();
          break;
        case '2':  // DUP
          push(top());
          break;
        case 'c': {  // GLOBAL
          std::string module = line();
          std::string name = line();
          push(global(module + "." + name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          Ref name = pop(), module = pop();
          if (name->type != Type::kStr || module->type != Type::kStr)
            bad("STACK_GLOBAL needs two strings");
          push(global(module->s + "." + name->s));
          break;
        }
        case 'R': {  // REDUCE
          Ref args = pop(), fn = pop();
          push(call(fn, args));
          break;
        }
        case 0x81: {  // NEWOBJ
          Ref args = pop(), cls = pop();
          push(call(cls, args));
          break;
        }
        case 0x92: {  // NEWOBJ_EX
          pop();      // kwargs
          Ref args = pop(), cls = pop();
          push(call(cls, args));
          break;
        }
        case 'b': {  // BUILD
          Ref st = pop();
          Ref obj = top();
          if (obj->type == Type::kOpaque) obj->state = st;
          // dict/OrderedDict and tensors: PyTorch's states (hooks, metadata) are not needed.
          break;
        }
        case 'Q': {  // BINPERSID
          push(persistent(pop()));
          break;
        }
        case 'P':  // PERSID (text)
          bad("text persistent ids are not used by torch.save");
        default: {
          char buf[8];
          std::snprintf(buf, sizeof buf, "0x%02x", op);
          bad(std::string("unsupported pickle opcode ") + buf);
        }
      }
    }
  }

 private:
  Refuse refuse() const { return Refuse{where_, pos_}; }
  [[noreturn]] void bad(const std::string& msg) const { refuse()(msg); }
  uint8_t byte() {
    if (pos_ >= d_.size()) bad("the pickle ends early (truncated file)");
    return static_cast<uint8_t>(d_[pos_++]);
  }
  uint64_t le(int n) {
    if (pos_ + static_cast<size_t>(n) > d_.size()) bad("the pickle ends early (truncated file)");
    uint64_t v = 0;
    for (int k = 0; k < n; ++k)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(d_[pos_ + k])) << (8 * k);
    pos_ += static_cast<size_t>(n);
    return v;
  }
  std::string bytes(uint64_t n) {
    if (n > d_.size() - pos_) bad("a string runs past the end (truncated file)");
    std::string s = d_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string line() {
    size_t end = d_.find('\n', pos_);
    if (end == std::string::npos) bad("the pickle ends early (truncated file)");
    std::string s = d_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  int64_t parse_int(const std::string& t) {
    try {
      size_t used = 0;
      int64_t v = std::stoll(t, &used);
      if (used != t.size()) bad("malformed integer");
      return v;
    } catch (const std::exception&) {
      bad("malformed integer");
    }
  }
  int64_t long_bytes(uint64_t n) {
    if (n > 8) bad("an integer wider than 64 bits");
    std::string b = bytes(n);
    uint64_t v = 0;
    for (size_t k = 0; k < b.size(); ++k)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(b[k])) << (8 * k);
    if (n > 0 && n < 8 && (static_cast<uint8_t>(b.back()) & 0x80)) v |= ~uint64_t{0} << (8 * n);
    return static_cast<int64_t>(v);
  }
  void push(Ref o) { stack_.push_back(std::move(o)); }

  template <class F>
  static void for_each_child(const Object& o, F&& f) {
    for (const Ref& r : o.items) f(r);
    for (const auto& [k, v] : o.dict) {
      f(k);
      f(v);
    }
    f(o.state);
  }

  // Iterative depth-first search (nesting can be as deep as the pickle is long).
  static bool has_cycle(const Ref& root) {
    enum class Mark { kOpen, kDone };
    std::unordered_map<const Object*, Mark> mark;
    std::vector<std::pair<const Object*, bool>> work = {{root.get(), false}};
    while (!work.empty()) {
      auto [o, leaving] = work.back();
      work.pop_back();
      if (!o) continue;
      if (leaving) {
        mark[o] = Mark::kDone;
        continue;
      }
      auto it = mark.find(o);
      if (it != mark.end()) {
        if (it->second == Mark::kOpen) return true;
        continue;
      }
      mark[o] = Mark::kOpen;
      work.push_back({o, true});
      for_each_child(*o, [&](const Ref& c) {
        if (!c) return;
        auto m = mark.find(c.get());
        if (m != mark.end() && m->second == Mark::kOpen) {
          work.push_back({c.get(), false});  // reported when popped while still open
        } else if (m == mark.end()) {
          work.push_back({c.get(), false});
        }
      });
    }
    return false;
  }

  void unlink_all_but_result() {
    std::unordered_set<const Object*> keep;
    std::vector<const Object*> todo = {result_.get()};
    while (!todo.empty()) {
      const Object* o = todo.back();
      todo.pop_back();
      if (!o || !keep.insert(o).second) continue;
      for_each_child(*o, [&](const Ref& c) { todo.push_back(c.get()); });
    }
    std::vector<Ref> all;
    for (const auto& w : made_)
      if (Ref o = w.lock(); o && !keep.count(o.get())) all.push_back(std::move(o));
    for (const Ref& o : all) {
      o->items.clear();
      o->dict.clear();
      o->state.reset();
    }
  }
  Ref pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back()))
      bad("the stack is empty");
    Ref o = stack_.back();
    stack_.pop_back();
    return o;
  }
  Ref& top() {
    if (stack_.empty()) bad("the stack is empty");
    return stack_.back();
  }
  std::vector<Ref> pop_mark() {
    if (marks_.empty()) bad("no MARK");
    const size_t m = marks_.back();
    marks_.pop_back();
    // Opcodes that consume the stack in place (BUILD, SETITEM, ...) can leave a MARK above it.
    if (m > stack_.size()) bad("a MARK lies above the stack (its items were consumed)");
    std::vector<Ref> items(stack_.begin() + static_cast<long>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  Ref get(uint64_t k) {
    auto it = memo_.find(k);
    if (it == memo_.end()) bad("a memo entry is missing");
    return it->second;
  }
  void append(const Ref& list, const std::vector<Ref>& items) {
    if (list->type == Type::kList || list->type == Type::kTuple) {
      list->items.insert(list->items.end(), items.begin(), items.end());
    } else if (list->type != Type::kOpaque) {
      bad("APPEND to a " + list->type_name());
    }
  }
  void set_items(Object& d, const std::vector<Ref>& kv) { set_dict_items(d, kv, refuse()); }
  Ref global(const std::string& name) {
    Ref o = make(Type::kGlobal);
    o->name = name;
    return o;
  }
  Ref call(const Ref& fn, const Ref& args) { return call_global(fn, args, refuse()); }

  Ref persistent(const Ref& pid) {
    if (pid->type != Type::kTuple || pid->items.size() < 5 || pid->items[0]->type != Type::kStr ||
        pid->items[0]->s != "storage")
      bad("a persistent id that is not a PyTorch storage");
    const Ref& kind = pid->items[1];
    const Ref& key = pid->items[2];
    const Ref& numel = pid->items[4];
    if (kind->type != Type::kGlobal || key->type != Type::kStr || numel->type != Type::kInt)
      bad("malformed storage record");
    const std::string cls = kind->name.substr(kind->name.rfind('.') + 1);
    auto it = storage_types().find(cls);
    if (it == storage_types().end())
      throw DataError(where_, "tensor storage of type " + kind->name + " is not supported");
    auto cached = storages_.find(key->s);
    if (cached != storages_.end()) return cached->second;
    Ref o = make(Type::kTensor);
    o->tensor = load_(key->s, it->second, numel->i);
    storages_[key->s] = o;
    return o;
  }

  const std::string& d_;
  const StorageLoader& load_;
  std::string where_;
  size_t pos_ = 0;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Ref> memo_;
  std::unordered_map<std::string, Ref> storages_;
  Ref result_;
  std::vector<std::weak_ptr<Object>> made_;
  std::vector<std::weak_ptr<Object>>* outer_made_;
};

}  // namespace

Ref unpickle(const std::string& data, const StorageLoader& load_storage, const std::string& where) {
  return Machine(data, load_storage, where).run();
}

}  // namespace chop::interop::pickle
