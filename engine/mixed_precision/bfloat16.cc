#include "engine/mixed_precision/bfloat16.h"

#include <cstring>

#include "engine/parallel.h"

namespace profundo {

PROFUNDO_TARGET_CLONES
void FloatToBfloat16Serial(const float* x, uint16_t* out, int64_t n) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, &x[i], sizeof(u));
    const bool nan = (u & 0x7fffffffu) > 0x7f800000u;
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    out[i] = static_cast<uint16_t>(nan ? (u >> 16) | 0x40u : rounded);
  }
}

void FloatToBfloat16(const float* x, uint16_t* out, int64_t n) {
  ParallelRanges(n, [&](int64_t begin, int64_t end) {
    FloatToBfloat16Serial(x + begin, out + begin, end - begin);
  });
}

}  // namespace profundo
