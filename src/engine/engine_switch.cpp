// The engine's on/off switch (CHOP_ENGINE, set_engine_enabled) and the once-per-reason note when
// a graph stays on the LibTorch path; declared in engine.h.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>

#include "core/log.h"
#include "engine/engine.h"

namespace chop::engine {

namespace {
std::atomic<bool>& engine_switch() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("CHOP_ENGINE");
    return !v || (std::string(v) != "0" && std::string(v) != "off");
  }()};
  return on;
}
}  // namespace

bool engine_enabled() {
  return engine_switch().load();
}

void set_engine_enabled(bool on) {
  engine_switch().store(on);
}

void note_fallback(const std::string& what, const std::string& why_not) {
  static std::mutex mu;
  static std::set<std::string> said;
  std::lock_guard<std::mutex> lock(mu);
  if (!said.insert(what + "\n" + why_not).second) return;
  log_info(what + " runs on the LibTorch path, not the fused engine: " + why_not);
}

}  // namespace chop::engine
