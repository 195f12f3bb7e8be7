#include "engine/mixed_precision/bfloat16.h"

#include "engine/parallel.h"

namespace profundo {

PROFUNDO_TARGET_CLONES
void FloatToBfloat16Serial(const float* x, uint16_t* out, int64_t n) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) out[i] = Bfloat16Bits(x[i]);
}

void FloatToBfloat16(const float* x, uint16_t* out, int64_t n) {
  ParallelRanges(n, [&](int64_t begin, int64_t end) {
    FloatToBfloat16Serial(x + begin, out + begin, end - begin);
  });
}

}  // namespace profundo
