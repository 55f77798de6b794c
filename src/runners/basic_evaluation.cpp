// sw runner "basic_evaluation": loss and accuracy on the first ceil(num_samples / batch_size)
// batches of the chosen split. Unlike MASE, metrics start fresh every trial, data_loader is
// honoured, and accuracy is plain (micro) accuracy, the same as training reports.
#include "core/error.h"
#include "runners/runner.h"
#include "train/evaluate.h"

namespace chop::runners {
namespace {

class BasicEvaluation : public Runner {
 public:
  BasicEvaluation(int64_t num_samples, std::string split)
      : num_samples_(num_samples), split_(std::move(split)) {}

  Json run(graph::Graph& g, RunnerEnv& env) override {
    CHOP_ASSERT(env.data, "basic_evaluation needs data");
    const data::TensorDataset& d = split_ == "train_dataloader"  ? env.data->train
                                   : split_ == "test_dataloader" ? env.data->test
                                                                 : env.data->val;
    auto r = train::evaluate(g, d, env.batch_size, num_samples_, env.device);
    return Json{{"loss", r.loss}, {"accuracy", r.accuracy}};
  }

 private:
  int64_t num_samples_;
  std::string split_;
};

}  // namespace

std::unique_ptr<Runner> make_basic_evaluation(const config::TableReader& o) {
  o.require("num_samples");
  const int64_t n = o.get_int("num_samples", -1, 1);
  const std::vector<std::string> splits = {"val_dataloader", "train_dataloader", "test_dataloader"};
  const std::string key =
      o.has("data_loader") || !o.has("dataloader") ? "data_loader" : "dataloader";
  return std::make_unique<BasicEvaluation>(n, o.get_string(key, "val_dataloader", splits));
}

}  // namespace chop::runners
