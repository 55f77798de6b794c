// `chop train MODEL DATASET`: MASE's train action. Builds the model for the data set, optionally
// loads --load weights, trains with MASE's optimizer/schedule, and writes best.ckpt, last.ckpt
// and the metrics log to <project_dir>/<project>/software/training_ckpts.
#include <algorithm>
#include <iostream>

#include "cli/action.h"
#include "cli/model_setup.h"
#include "cli/train_setup.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/verify.h"
#include "runtime/executor.h"

namespace chop::cli {

int run_train(ActionContext& ctx) {
  // Ctrl-C stops at the next safe point (between steps / trials), keeps the finished work and
  // exits 130. Only actions with safe points take over the signal; others keep the default.
  install_interrupt_handlers();
  const std::string model = model_name(ctx);
  const std::string dataset = dataset_name(ctx);
  require_model_and_dataset("train", model, dataset);
  std::cout << ctx.cfg.render_table() << std::flush;
  set_threads(ctx);
  const at::Device device = device_for(ctx);

  data::Splits splits = load_data_for(ctx, model, dataset);
  models::ModelOptions mo = model_options_for(ctx, model, splits.info);
  graph::Graph g = interop::build_model(model_source(model), mo, &splits.info);
  graph::Shape in_shape = splits.train.x.sizes().vec();
  // A batch never holds more rows than the split.
  in_shape[0] = std::min<int64_t>(ctx.cfg.integer("batch_size"), splits.train.size());
  check_batch_memory(graph::verify(g, in_shape), /*backward=*/true);
  if (!ctx.cfg.is_null("load_name")) load_weights_for(ctx, g);

  train_base_model(ctx, model, g, splits, project_folder(ctx, model, dataset).path, device);
  return 0;
}

}  // namespace chop::cli
