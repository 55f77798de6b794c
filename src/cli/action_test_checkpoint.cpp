// `chop test MODEL DATASET --load CKPT`: MASE's test action — loads the checkpoint into the model
// built for the data set and reports test loss and accuracy (Lightning's test_*_epoch names).
// (Named action_test_checkpoint so it does not read as a test file.)
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/action.h"
#include "cli/model_setup.h"
#include "core/error.h"
#include "core/log.h"
#include "core/table.h"
#include "graph/verify.h"
#include "runtime/executor.h"
#include "train/evaluate.h"

namespace chop::cli {

int run_test(ActionContext& ctx) {
  const std::string model = model_name(ctx);
  const std::string dataset = dataset_name(ctx);
  require_model_and_dataset("test", model, dataset);
  if (ctx.cfg.is_null("load_name"))
    throw UserError(
        "expected checkpoint via --load, got None (e.g. --load mase_output/<project>/"
        "software/training_ckpts/best.ckpt)");
  std::cout << ctx.cfg.render_table() << std::flush;
  set_threads(ctx);
  const at::Device device = device_for(ctx);

  data::Splits splits = load_data_for(ctx, model, dataset);
  graph::Graph g = build_model_for(ctx, model, splits.info);
  graph::Shape in_shape = splits.test.x.sizes().vec();
  in_shape[0] = std::min<int64_t>(ctx.cfg.integer("batch_size"), splits.test.size());
  check_batch_memory(graph::verify(g, in_shape), /*backward=*/false);
  load_weights_for(ctx, g);
  g.to(device);
  if (splits.info.test_is_val)
    log_warning("data set " + splits.info.name +
                " has no separate test split here: the test "
                "split is the validation split (" +
                splits.info.split_note + ")");
  train::EvalResult r = train::evaluate(g, splits.test, ctx.cfg.integer("batch_size"), -1, device);
  char acc[32], loss[32];
  std::snprintf(acc, sizeof acc, "%.6f", r.accuracy);
  std::snprintf(loss, sizeof loss, "%.6f", r.loss);
  Table t{
      {"Test metric", "DataLoader 0"}, {{"test_acc_epoch", acc}, {"test_loss_epoch", loss}}, {}};
  std::cout << t.render(TableStyle::kPretty) << "Tested " << model << " from "
            << ctx.cfg.str("load_name") << " on " << r.n_samples << " test samples of "
            << splits.info.name << "\n";
  return 0;
}

}  // namespace chop::cli
