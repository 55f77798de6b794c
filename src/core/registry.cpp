// The registries' spelling rule; see registry.h.
#include "core/registry.h"

#include <cctype>

namespace chop {

std::string registry_key(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name)
    if (c != '-' && c != '_' && !std::isspace(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace chop
