// libFuzzer target: the IDX reader (engine/datasets/idx.h) on arbitrary
// bytes, raw or gzip. Any input must give a Tensor or an error status: no
// crash, leak, hang, or allocation beyond what the bytes can hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/datasets/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<profundo::Tensor> t = profundo::ParseIdx(bytes);
  if (t.ok()) {
    // What a caller does next: the element count matches the shape.
    if (t->size() != profundo::NumElements(t->shape())) __builtin_trap();
  }
  return 0;
}
