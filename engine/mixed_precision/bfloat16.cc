#include "engine/mixed_precision/bfloat16.h"

#include "engine/cpu_features.h"
#include "engine/parallel.h"

namespace profundo {

namespace {

PROFUNDO_TARGET_CLONES
void SoftwareBfloat16(const float* x, uint16_t* out, int64_t n) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) out[i] = Bfloat16Bits(x[i]);
}

#ifdef PROFUNDO_HAVE_X86_INTRINSICS
// AVX512_BF16's vcvtne2ps2bf16: Bfloat16Bits of 32 floats in one
// instruction.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) void HardwareBfloat16(
    const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16),
                                           _mm512_loadu_ps(x + i));
    _mm512_storeu_si512(out + i, reinterpret_cast<__m512i>(v));
  }
  SoftwareBfloat16(x + i, out + i, n - i);
}
#endif

}  // namespace

void FloatToBfloat16Serial(const float* x, uint16_t* out, int64_t n) {
#ifdef PROFUNDO_HAVE_X86_INTRINSICS
  if (CpuHasAvx512Bf16()) return HardwareBfloat16(x, out, n);
#endif
  SoftwareBfloat16(x, out, n);
}

void FloatToBfloat16(const float* x, uint16_t* out, int64_t n) {
  ParallelRanges(n, [&](int64_t begin, int64_t end) {
    FloatToBfloat16Serial(x + begin, out + begin, end - begin);
  });
}

}  // namespace profundo
