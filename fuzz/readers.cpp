// The reader table; see readers.h. Each row calls the same entry point the CLI uses for that kind
// of file, followed by the checks the CLI runs next (graph verification, preprocessing), so a
// crafted file is followed as far as a user's command would take it.
#include "fuzz/readers.h"

#include "config/resolve.h"
#include "config/toml_document.h"
#include "core/files.h"
#include "data/jsc.h"
#include "data/npy.h"
#include "data/registry.h"
#include "graph/text.h"
#include "graph/verify.h"
#include "interop/onnx_import.h"
#include "interop/torch_file.h"
#include "models/zoo.h"
#include "passes/pipeline.h"
#include "passes/transforms/quantize.h"
#include "train/checkpoint/ckpt_file.h"
#include "train/checkpoint/transform_folder.h"

namespace chop::fuzz {
namespace {

/// A loaded graph goes on to verification with its own input shape, as `chop transform` does.
void verify_loaded(const graph::Graph& g) {
  graph::Shape in;
  if (!g.nodes().empty() && g.nodes().front().attrs.contains("shape") &&
      g.nodes().front().attrs["shape"].is_array()) {
    in = g.nodes().front().attrs["shape"].get<graph::Shape>();
    if (!in.empty()) in[0] = 2;
  }
  graph::verify(g, in);
}

void read_checkpoint(const std::string& dir) {
  const std::string path = dir + "/model.ckpt";
  checkpoint::read_checkpoint_info(path);
  graph::Graph g = checkpoint::load_checkpoint(path);
  passes::attach_quantizers(g);
  verify_loaded(g);
  // What `chop train|test|search --load` does: the weights into a model of the zoo.
  graph::Graph tiny = models::build_model("jsc-tiny", models::ModelOptions{});
  checkpoint::load_weights_into(tiny, path);
}

void read_transform_folder(const std::string& dir) {
  graph::Graph g = checkpoint::load_transform_folder(dir);
  verify_loaded(g);
}

void read_graph_text(const std::string& dir) {
  const std::string path = dir + "/graph.txt";
  graph::Graph g = graph::parse_graph(chop::read_file(path), path);
  verify_loaded(g);
}

void read_toml_config(const std::string& dir) {
  config::RunConfig cfg =
      config::resolve(config::Json::object(), config::load_toml_file(dir + "/config.toml"));
  if (const config::Json* passes = cfg.table("passes"))
    passes::pipeline_from_table(*passes, &*cfg.toml);
}

void read_idx(const std::string& dir) {
  data::DatasetOptions o;
  o.data_path = dir;
  data::load_mnist(o);
}

void read_cifar(const std::string& dir) {
  data::DatasetOptions o;
  o.data_path = dir + "/test_batch.bin";
  data::load_cifar10(o);
}

void read_jsc_table(const std::string& path) {
  data::jsc::Table t = data::jsc::read_file(path);
  data::jsc::preprocess(std::move(t), -1, 42);
}

void read_csv_arff(const std::string& dir) {
  read_jsc_table(dir + "/jsc.csv");
}

void read_hdf5(const std::string& dir) {
  read_jsc_table(dir + "/jsc.h5");
}

void read_npy(const std::string& dir) {
  data::read_npy(dir + "/X_train.npy");
  data::load_npy_dir(dir);
}

void read_onnx(const std::string& dir) {
  // What `chop ... model.onnx` does: import (protobuf, checker, shape inference, converters,
  // QONNX quantizers), then the graph goes on to verification.
  graph::Graph g = interop::import_onnx(dir + "/model.onnx");
  verify_loaded(g);
}

void read_torch_file(const std::string& dir) {
  // `--load model.pt|.ckpt --load-type auto|pl`: the zip, the pickle program, the storages, then
  // the strict copy into a zoo model (a foreign state dict is refused naming the tensor).
  const std::string path = dir + "/model.pt";
  interop::read_torch_state_dict(path, interop::TorchLoadType::kPl);
  interop::read_torch_state_dict(path, interop::TorchLoadType::kAuto);
  graph::Graph tiny = models::build_model("jsc-tiny", models::ModelOptions{});
  interop::load_torch_weights(tiny, path, interop::TorchLoadType::kAuto);
}

}  // namespace

const std::vector<FuzzReader>& fuzz_readers() {
  static const std::vector<FuzzReader> table = {
      {"checkpoint",
       "chop .ckpt: header, checksum, graph text, tensors, --load into a model",
       {"model.ckpt"},
       read_checkpoint,
       1000000},
      {"transform_folder",
       "chop transform output: graph.txt + state.pt + node_meta.toml",
       {"graph.txt", "state.pt", "node_meta.toml", "digest.json"},
       read_transform_folder,
       400000},
      {"graph_text",
       "graph text (one node per line) and the verifier",
       {"graph.txt"},
       read_graph_text,
       40000},
      {"toml_config",
       "--config TOML: syntax, option types and ranges, [passes] pipeline",
       {"config.toml"},
       read_toml_config,
       200000},
      {"idx",
       "MNIST IDX images + labels (raw or gzip)",
       {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
       read_idx,
       400000},
      {"cifar", "CIFAR-10 binary batch", {"test_batch.bin"}, read_cifar, 600000},
      {"csv_arff",
       "JSC OpenML table as CSV or ARFF, then MASE's preprocessing",
       {"jsc.csv"},
       read_csv_arff,
       360000},
      {"hdf5",
       "JSC HDF5 (t_allpar_new, LZF), then MASE's preprocessing",
       {"jsc.h5"},
       read_hdf5,
       4000},
      {"npy",
       "NPY arrays and an exported split folder",
       {"X_train.npy", "y_train.npy", "X_val.npy", "y_val.npy", "X_test.npy", "y_test.npy",
        "dataset.json"},
       read_npy,
       240000},
      {"onnx",
       "ONNX/QONNX model import (Debian's libonnx) and the graph verifier",
       {"model.onnx"},
       read_onnx,
       300000},
      {"torch_file",
       "PyTorch zip (torch.save state dict, Lightning .ckpt): pickle and storages",
       {"model.pt"},
       read_torch_file,
       180000},
  };
  return table;
}

const FuzzReader* find_fuzz_reader(const std::string& name) {
  for (const auto& r : fuzz_readers())
    if (r.name == name) return &r;
  return nullptr;
}

}  // namespace chop::fuzz
