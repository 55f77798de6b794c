// `chop dashboard`: the report's views served live over HTTP (cpp-httplib) while workers add
// trials to the study. Read-only (GET only), loopback by default: a non-loopback host is refused
// unless the user chose it explicitly (--host).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "report/page.h"
#include "report/study_data.h"

namespace httplib {
class Server;
}

namespace chop::report {

struct DashboardOptions {
  std::string storage_url;
  std::string study;               // "" = the storage's only study
  std::string host = "127.0.0.1";  // address to bind
  bool host_given = false;         // the user named the host (--host): non-loopback allowed
  int port = 8080;                 // 0 = any free port
  int refresh_ms = 2000;           // how often the page asks for changes
  ImportanceOptions importance;
};

/// Loopback names and addresses: "localhost", 127.0.0.0/8, "::1".
bool is_loopback_host(const std::string& host);

class Dashboard {
 public:
  /// Opens the storage (it must exist). Throws UserError for a refused host.
  explicit Dashboard(DashboardOptions options);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  /// Binds the socket; UserError when the port is taken or the address unusable. Returns the
  /// bound port (the chosen one for port 0).
  int bind();
  /// "http://127.0.0.1:8080/" once bound.
  std::string url() const;
  /// Serves until stop() (from any thread) or interrupt_requested() (Ctrl-C).
  void serve();
  void stop();

  // The responses, also callable without a socket (tests).
  Json state();         // {"study", "n_trials", "n_finished", "signature"}
  Json report_model();  // the page model (rebuilt only when the study changed)
  std::string page();   // the live HTML page

 private:
  void refresh_locked();

  DashboardOptions options_;
  std::shared_ptr<search::Storage> storage_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = -1;
  std::mutex mu_;  // reader_, model_, signature_
  std::optional<StudyReader> reader_;
  std::string waiting_for_;  // why there is no study yet
  Json model_;
  std::string model_signature_;
  std::atomic<bool> stopping_{false};
};

}  // namespace chop::report
