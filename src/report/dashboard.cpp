// The live dashboard; see dashboard.h.
#include "report/dashboard.h"

#include <httplib.h>

#include <chrono>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/strings.h"

namespace chop::report {
namespace {

Json waiting_model(const std::string& why) {
  return {{"kind", "study"},
          {"title", "Waiting for the study"},
          {"facts", Json::array()},
          {"notes", {why}},
          {"sections", Json::array()},
          {"generator", "chop dashboard"},
          {"state", {{"n_trials", 0}, {"n_finished", 0}, {"signature", "waiting"}}}};
}

void no_store(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  const std::string h = to_lower(host);
  return h == "localhost" || h == "::1" || h == "[::1]" || starts_with(h, "127.");
}

Dashboard::Dashboard(DashboardOptions options) : options_(std::move(options)) {
  if (!is_loopback_host(options_.host) && !options_.host_given)
    throw UserError(
        "the dashboard binds to loopback (127.0.0.1) unless --host names another "
        "address; refusing '" +
        options_.host + "'");
  if (options_.port < 0 || options_.port > 65535)
    throw UserError("--port " + std::to_string(options_.port) + " is not a TCP port (0-65535)");
  if (options_.refresh_ms < 100) options_.refresh_ms = 100;
  storage_ = open_storage_for_reading(options_.storage_url);
  // A study named but not there yet (a search about to start) is waited for; several studies
  // and no name is a mistake to report now.
  std::lock_guard<std::mutex> lock(mu_);
  refresh_locked();
}

Dashboard::~Dashboard() = default;

void Dashboard::refresh_locked() {
  if (reader_) {
    reader_->refresh();
    return;
  }
  const auto names = storage_->study_names();
  std::string name = options_.study;
  if (name.empty()) {
    if (names.size() > 1) name = pick_study(*storage_, "");  // throws, listing the studies
    if (names.empty()) {
      waiting_for_ = storage_->describe() +
                     " holds no study yet; this page updates when a "
                     "search creates one.";
      return;
    }
    name = names.front();
  } else if (!storage_->study_id_from_name(name)) {
    waiting_for_ = "No study '" + name + "' in " + storage_->describe() +
                   " yet; this page updates when a search creates it.";
    return;
  }
  reader_.emplace(storage_, name);
  waiting_for_.clear();
}

Json Dashboard::state() {
  std::lock_guard<std::mutex> lock(mu_);
  refresh_locked();
  if (!reader_) return waiting_model(waiting_for_)["state"];
  Json s = study_state(reader_->data());
  s["study"] = reader_->data().name;
  return s;
}

Json Dashboard::report_model() {
  std::lock_guard<std::mutex> lock(mu_);
  refresh_locked();
  if (!reader_) return waiting_model(waiting_for_);
  const Json s = study_state(reader_->data());
  if (model_.is_null() || s["signature"] != model_signature_) {
    model_ = build_study_report(reader_->data(), options_.importance).model;
    model_signature_ = model_["state"]["signature"].get<std::string>();
  }
  return model_;
}

std::string Dashboard::page() {
  PageOptions po;
  po.live = true;
  po.refresh_ms = options_.refresh_ms;
  return render_page(report_model(), po);
}

int Dashboard::bind() {
  server_ = std::make_unique<httplib::Server>();
  auto& svr = *server_;
  // SO_REUSEADDR (restart right after a stop) but not httplib's default SO_REUSEPORT, which
  // would let a second dashboard silently share a port that is in use.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    try {
      res.set_content(page(), "text/html; charset=utf-8");
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(std::string("chop dashboard: ") + e.what() + "\n", "text/plain");
    }
    no_store(res);
  });
  auto json_route = [this](Json (Dashboard::*get)()) {
    return [this, get](const httplib::Request&, httplib::Response& res) {
      try {
        res.set_content((this->*get)().dump(), "application/json");
      } catch (const std::exception& e) {
        res.status = 503;
        res.set_content(Json({{"error", e.what()}}).dump(), "application/json");
      }
      no_store(res);
    };
  };
  svr.Get("/api/state", json_route(&Dashboard::state));
  svr.Get("/api/report", json_route(&Dashboard::report_model));
  // Read-only: every other method is refused.
  auto refuse = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("chop dashboard is read-only\n", "text/plain");
  };
  svr.Post(".*", refuse);
  svr.Put(".*", refuse);
  svr.Patch(".*", refuse);
  svr.Delete(".*", refuse);
  svr.Options(".*", refuse);

  const int port = options_.port == 0
                       ? svr.bind_to_any_port(options_.host)
                       : (svr.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port <= 0)
    throw UserError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                    " (port in use, or not an address of this machine); choose another with "
                    "--port (0 picks a free one)");
  port_ = port;
  return port_;
}

std::string Dashboard::url() const {
  const bool v6 = options_.host.find(':') != std::string::npos && options_.host.front() != '[';
  return "http://" + (v6 ? "[" + options_.host + "]" : options_.host) + ":" +
         std::to_string(port_) + "/";
}

void Dashboard::serve() {
  CHOP_ASSERT(server_ && port_ > 0, "Dashboard::serve before bind");
  // stop() and Ctrl-C only set flags; this watcher stops the server, again and again until the
  // listen loop has returned (a stop() that came before the loop started would be lost).
  std::atomic<bool> served{false};
  std::thread watcher([this, &served] {
    while (!served) {
      if (stopping_ || interrupt_requested()) {
        stopping_ = true;
        server_->stop();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  if (!stopping_) server_->listen_after_bind();
  served = true;
  watcher.join();
}

void Dashboard::stop() {
  stopping_ = true;
  if (server_) server_->stop();
}

}  // namespace chop::report
