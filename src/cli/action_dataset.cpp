// `chop dataset export NAME --out DIR`: writes a data set's six splits as .npy (X_train, y_train,
// X_val, y_val, X_test, y_test) plus dataset.json, so Python (and mase_peer.py) read exactly the
// tensors chop trains on.
#include <iostream>

#include "cli/action.h"
#include "cli/model_setup.h"
#include "core/error.h"
#include "core/strings.h"
#include "data/npy.h"

namespace chop::cli {

int run_dataset(ActionContext& ctx) {
  const std::string verb = ctx.words.empty() ? "" : ctx.words[0];
  if (verb != "export")
    throw UserError("usage: chop dataset export NAME --out DIR (unknown subcommand '" + verb +
                    "')");
  std::string name = ctx.words.size() >= 2 ? ctx.words[1] : ctx.cfg.str("dataset");
  if (name.empty())
    throw UserError("chop dataset export needs a data set NAME (see `chop list datasets`)");
  if (!ctx.extra.contains("out") || ctx.extra["out"].get<std::string>().empty())
    throw UserError("chop dataset export needs --out DIR");
  const std::string out = ctx.extra["out"].get<std::string>();
  data::Splits s = load_data_for(ctx, "", name);  // stored shapes, not flattened
  data::export_npy(s, out);
  std::cout << "Exported " << s.info.name << " to " << out << ": train "
            << with_thousands(s.train.size()) << ", val " << with_thousands(s.val.size())
            << ", test " << with_thousands(s.test.size()) << " samples\n";
  return 0;
}

}  // namespace chop::cli
