// The one pass table and option checking; see registry.h.
#include "passes/registry.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "core/strings.h"
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

bool has_type(const Json& v, const std::string& type) {
  if (type == "any") return true;
  if (type == "int") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "bool") return v.is_boolean();
  if (type == "string") return v.is_string();
  if (type == "list") return v.is_array();
  if (type == "table") return v.is_object();
  CHOP_ASSERT(false, "unknown option type " + type);
  return false;
}

std::string type_words(const std::string& type) {
  if (type == "int") return "an integer";
  if (type == "number") return "a number";
  if (type == "bool") return "true or false";
  if (type == "string") return "a string";
  if (type == "list") return "a list";
  if (type == "table") return "a table";
  return "a value";
}

}  // namespace

std::string PassContext::locate(const std::string& key) const {
  std::string path = option_path;
  if (!key.empty()) path = path.empty() ? key : path + "." + key;
  if (where) {
    std::string w = where(path);
    if (!w.empty()) return w + " (" + (path.empty() ? "pass options" : path) + ")";
  }
  return path;
}

at::Tensor PassContext::dummy_batch(const graph::Graph& g) {
  if (!dummy_input.defined()) {
    CHOP_ASSERT(!g.nodes().empty() && g.nodes().front().op == graph::FxOp::kPlaceholder,
                "graph has no placeholder");
    auto shape = g.nodes().front().attrs.value("shape", std::vector<int64_t>{-1});
    shape[0] = batch_size;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    dummy_input = at::randn(shape, gen);
  }
  for (const auto& n : g.nodes())
    if (!n.params.empty()) return dummy_input.to(n.params.front().second.device());
  return dummy_input;
}

at::Tensor PassContext::batch(const graph::Graph& g, int64_t i) {
  at::Tensor x;
  if (input_batch) {
    x = input_batch(i);
  } else {
    auto shape = g.nodes().front().attrs.value("shape", std::vector<int64_t>{-1});
    shape[0] = batch_size;
    // Batch i of the synthetic stream is independent of how many batches were drawn before.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed * 1000003ULL + 7919ULL * (i + 1));
    x = at::randn(shape, gen);
  }
  for (const auto& n : g.nodes())
    if (!n.params.empty()) return x.to(n.params.front().second.device());
  return x;
}

const std::vector<Pass>& pass_registry() {
  static const std::vector<Pass> table = {
      add_common_metadata_pass(),
      add_software_metadata_pass(),
      report_graph_pass(),
      report_node_meta_param_pass(),
      flops_pass(),
      bitops_pass(),
      model_size_pass(),
      average_bitwidth_pass(),
      latency_pass(),
      profile_statistics_pass(),
      inference_cost_pass(),
      resources_pass(),
      ebops_pass(),
      accumulator_widths_pass(),
      quantize_pass(),
      redefine_channels_pass(),
  };
  return table;
}

std::vector<std::string> pass_names() {
  std::vector<std::string> names;
  for (const auto& p : pass_registry()) names.push_back(p.name);
  return names;
}

const Pass* find_pass(const std::string& name) {
  for (const auto& p : pass_registry())
    if (p.name == name) return &p;
  return nullptr;
}

const Pass& pass_named(const std::string& name, const std::string& where) {
  if (const Pass* p = find_pass(name)) return *p;
  throw ConfigError(where, "unknown pass '" + name + "'" + did_you_mean(name, pass_names()) +
                               "; known passes: " + list_of(pass_names()) +
                               " (see `chop list passes`)");
}

Json resolve_options(const Pass& pass, const Json& given, const PassContext& ctx) {
  if (!given.is_null() && !given.is_object())
    throw ConfigError(ctx.locate(), "the options of pass '" + pass.name +
                                        "' must be a table ([passes." + pass.name + "])");
  Json out = Json::object();
  std::vector<std::string> keys;
  for (const auto& o : pass.options) keys.push_back(o.key);
  if (given.is_object()) {
    for (auto it = given.begin(); it != given.end(); ++it) {
      const PassOption* spec = nullptr;
      for (const auto& o : pass.options)
        if (o.key == it.key()) spec = &o;
      if (!spec) {
        if (pass.open_options) {
          out[it.key()] = it.value();
          continue;
        }
        throw ConfigError(ctx.locate(it.key()),
                          "pass '" + pass.name + "' has no option '" + it.key() + "'" +
                              did_you_mean(it.key(), keys) + "; its options are " +
                              (keys.empty() ? std::string("(none)") : list_of(keys)));
      }
      // null ("NA") means "use the default" for every option.
      if (!it.value().is_null() && !has_type(it.value(), spec->type))
        throw ConfigError(ctx.locate(it.key()), "option '" + it.key() + "' of pass '" + pass.name +
                                                    "' must be " + type_words(spec->type) +
                                                    ", got " + it.value().dump());
      out[it.key()] = it.value();
    }
  }
  for (const auto& o : pass.options) {
    if (out.contains(o.key) && !out[o.key].is_null()) continue;
    if (o.required)
      throw ConfigError(ctx.locate(),
                        "pass '" + pass.name + "' needs option '" + o.key + "' (" + o.help + ")");
    out[o.key] = o.default_value;
  }
  if (pass.check) pass.check(out, ctx);
  return out;
}

PassContext context_for_table(const std::function<std::string(const std::string&)>& locate) {
  // locate("") is "file[:line:col] (table.path)": keep the path, and let `where` give the file
  // position of any key below it.
  const std::string root_text = locate("");
  const size_t open = root_text.rfind(" (");
  PassContext ctx;
  if (open == std::string::npos || root_text.back() != ')') return ctx;
  const std::string root = root_text.substr(open + 2, root_text.size() - open - 3);
  ctx.option_path = root;
  ctx.where = [locate, root](const std::string& key_path) {
    std::string rel = key_path.size() > root.size() ? key_path.substr(root.size() + 1) : "";
    const std::string s = locate(rel);
    const size_t cut = s.rfind(" (");
    return cut == std::string::npos ? s : s.substr(0, cut);
  };
  return ctx;
}

PassResult run_pass(const std::string& name, graph::Graph& g, const Json& options,
                    PassContext& ctx) {
  const Pass& p = pass_named(name, ctx.locate());
  Json resolved = resolve_options(p, options, ctx);
  PassResult r = p.run(g, resolved, ctx);
  ctx.results[name] = r.info;
  return r;
}

}  // namespace chop::passes
