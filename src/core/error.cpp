// Out-of-line part of the error channels (keeps <string> formatting out of every caller).
#include "core/error.h"

namespace chop {

void assert_fail(const char* cond, const char* file, int line, const std::string& msg) {
  throw InternalError(std::string("internal error at ") + file + ":" + std::to_string(line) +
                      ": " + msg + " (" + cond + "); please report this as a bug");
}

}  // namespace chop
