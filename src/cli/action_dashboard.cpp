// `chop dashboard --storage STUDY.db [--study NAME] [--port P] [--host H]`: the report served
// live while a search runs (the work is in src/report/dashboard.cpp). Ctrl-C stops it.
#include <iostream>

#include "cli/action.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/log.h"
#include "report/dashboard.h"

namespace chop::cli {

int run_dashboard(ActionContext& ctx) {
  report::DashboardOptions options;
  options.storage_url = report_storage_arg(ctx, "dashboard");
  options.study = ctx.extra.value("study", std::string());
  if (ctx.extra.contains("host")) {
    options.host = ctx.extra["host"].get<std::string>();
    options.host_given = true;
  }
  if (ctx.extra.contains("port")) {
    const std::string p = ctx.extra["port"].get<std::string>();
    size_t used = 0;
    int port = -1;
    try {
      port = std::stoi(p, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != p.size() || port < 0 || port > 65535)
      throw UserError("--port '" + p + "' is not a TCP port (0-65535; 0 picks a free one)");
    options.port = port;
  }
  install_interrupt_handlers();
  report::Dashboard dashboard(options);
  dashboard.bind();
  if (!report::is_loopback_host(options.host))
    log_warning("listening on " + options.host +
                ": anyone who can reach this machine can read the study (read-only)");
  std::cout << "chop dashboard: " << dashboard.url() << " (read-only; Ctrl-C stops)\n"
            << std::flush;
  dashboard.serve();
  std::cout << "chop dashboard stopped\n";
  return 0;
}

}  // namespace chop::cli
