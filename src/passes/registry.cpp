// The one pass table and option checking; see registry.h.
#include "passes/registry.h"

#include <ATen/CPUGeneratorImpl.h>

#include <map>
#include <mutex>

#include "core/error.h"
#include "core/strings.h"
#include "passes/pass_list.h"

namespace chop::passes {

std::string PassContext::locate(const std::string& key) const {
  std::string path = option_path;
  if (!key.empty()) path = path.empty() ? key : path + "." + key;
  if (where) {
    std::string w = where(path);
    if (!w.empty() && where_names_key) return w;
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

const Registry<Pass>& pass_registry() {
  static const Registry<Pass> table{{"pass", "passes", "chop list passes"},
                                    {
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
                                    }};
  return table;
}

std::vector<std::string> pass_names() {
  return pass_registry().names();
}

const Pass* find_pass(const std::string& name) {
  return pass_registry().find(name);
}

const Pass& pass_named(const std::string& name, const std::string& where) {
  return pass_registry().get(name, where);
}

const config::TableDoc& pass_options_doc(const Pass& pass) {
  static const std::map<const Pass*, config::TableDoc> docs = [] {
    std::map<const Pass*, config::TableDoc> m;
    for (const auto& p : pass_registry())
      m[&p] = {"passes." + p.name, p.summary, p.options, p.open_options,
               p.open_options ? "per-node tables checked by the pass" : ""};
    return m;
  }();
  auto it = docs.find(&pass);
  if (it != docs.end()) return it->second;
  // A pass outside the registry (tests): documented on the fly, kept for the process.
  static std::mutex mu;
  static std::map<std::string, config::TableDoc> extra;
  std::lock_guard<std::mutex> lock(mu);
  return extra[pass.name] = {"passes." + pass.name, pass.summary, pass.options, pass.open_options,
                             ""};
}

Json resolve_options(const Pass& pass, const Json& given, const PassContext& ctx) {
  config::TableReader reader(given, pass_options_doc(pass),
                             [&ctx](const std::string& key) { return ctx.locate(key); });
  Json out = reader.resolved();
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
