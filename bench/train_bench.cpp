// Training throughput runner for bench/train_bench.sh: trains a zoo model on the same data as
// mase_peer.py (`--data npy:DIR` from `chop dataset export`, or `mnist:DIR`), with its batch
// size, Adam + cosine schedule and epochs, one thread, no per-epoch validation (the peer has
// none), and prints one JSON line like the peer's.
#include <ATen/Parallel.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "data/npy.h"
#include "data/registry.h"
#include "fma_peak.h"
#include "models/zoo.h"
#include "train/evaluate.h"
#include "train/trainer.h"

namespace {

int run(int argc, char** argv) {
  std::string spec, model = "jsc-s";
  int64_t epochs = 1, batch = 256, threads = 1, seed = 0;
  double lr = 1e-3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--data")
      spec = v;
    else if (k == "--model")
      model = v;
    else if (k == "--epochs")
      epochs = std::stoll(v);
    else if (k == "--batch-size")
      batch = std::stoll(v);
    else if (k == "--lr")
      lr = std::stod(v);
    else if (k == "--threads")
      threads = std::stoll(v);
    else if (k == "--seed")
      seed = std::stoll(v);
    else
      throw chop::UserError("unknown option " + k);
  }
  at::set_num_threads(static_cast<int>(threads));
  auto colon = spec.find(':');
  if (colon == std::string::npos) throw chop::UserError("--data npy:DIR or mnist:DIR");
  chop::data::Splits s;
  if (spec.substr(0, colon) == "npy") {
    s = chop::data::load_npy_dir(spec.substr(colon + 1));
  } else {
    chop::data::DatasetOptions o;
    o.data_path = spec.substr(colon + 1);
    s = chop::data::load_dataset(spec.substr(0, colon), o);
  }
  s.train = s.train.flattened();
  s.val = s.val.flattened();
  chop::models::ModelOptions mo;
  std::string zoo_name = model;
  if (model.rfind("mlp:", 0) == 0) {  // mlp:256,128 as in mase_peer.py
    zoo_name = "mlp";
    size_t pos = 4;
    while (pos < model.size()) {
      size_t end = model.find(',', pos);
      if (end == std::string::npos) end = model.size();
      mo.hidden_features.push_back(std::stoll(model.substr(pos, end - pos)));
      pos = end + 1;
    }
  }
  mo.in_features = s.train.x.size(1);
  mo.n_classes = std::max(s.train.y.max().item<int64_t>(), s.val.y.max().item<int64_t>()) + 1;
  mo.seed = static_cast<uint64_t>(seed);
  chop::graph::Graph g = chop::models::build_model(zoo_name, mo);
  chop::train::TrainOptions t;
  t.max_epochs = epochs;
  t.batch_size = batch;
  t.learning_rate = lr;
  t.seed = static_cast<uint64_t>(seed);
  t.validate = false;
  const double cpu0 = chop::bench::thread_cpu_seconds();
  chop::train::TrainResult r = chop::train::train(g, s.train, s.val, t);
  const double train_cpu_s = chop::bench::thread_cpu_seconds() - cpu0;
  chop::train::EvalResult v = chop::train::evaluate(g, s.val, batch);
  nlohmann::ordered_json out = {
      {"workload", "train"},
      {"model", model},
      {"epochs", epochs},
      {"train_s", r.train_seconds},
      {"samples_per_s", r.samples_per_s},
      {"loss", v.loss},
      {"accuracy", v.accuracy},
      {"threads", at::get_num_threads()},
      {"backend", r.backend},
      {"gflops", r.flops_per_sample * r.samples_per_s / 1e9},
      {"train_cpu_s", train_cpu_s},
      {"gflops_cpu", r.flops_per_sample * static_cast<double>(r.samples_seen) / train_cpu_s / 1e9}};
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
