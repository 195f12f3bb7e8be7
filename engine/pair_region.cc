#include "engine/pair_region.h"

#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"

namespace profundo {

bool PairRegion::Enabled() {
  static const bool enabled = [] {
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    return policy == nullptr ||
           absl::AsciiStrToLower(std::string(policy)) != "passive";
  }();
  return enabled;
}

}  // namespace profundo
