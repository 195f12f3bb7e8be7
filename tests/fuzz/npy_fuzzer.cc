// libFuzzer target: the .npy reader (engine/datasets/npy.h) on arbitrary
// bytes. Any input must give a finite Tensor or an error status.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/datasets/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<profundo::Tensor> t = profundo::ParseNpy(bytes);
  if (t.ok()) {
    if (t->size() != profundo::NumElements(t->shape())) __builtin_trap();
    for (float v : t->values()) {
      if (!std::isfinite(v)) __builtin_trap();  // the reader promises finite
    }
  }
  return 0;
}
