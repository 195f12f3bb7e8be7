#include "engine/layers/weight_gradient_rows.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PROFUNDO_HAVE_AVX512_INTRINSICS 1
#endif

namespace profundo {
namespace {

void PlainRows(const float* src, int64_t src_stride, const float* diff_dst,
               int64_t rows, int64_t units, int64_t count, float* block) {
  std::fill_n(block, count * units, 0.f);
  for (int64_t n = 0; n < rows; ++n) {
    const float* d = diff_dst + n * units;
    for (int64_t r = 0; r < count; ++r) {
      const float x = src[n * src_stride + r];
      float* out = block + r * units;
      for (int64_t k = 0; k < units; ++k) out[k] = std::fma(x, d[k], out[k]);
    }
  }
}

#ifdef PROFUNDO_HAVE_AVX512_INTRINSICS
#define PROFUNDO_AVX512 __attribute__((target("avx512f")))

constexpr int kTileVectors = 6;  // 96 columns: 4 x 6 accumulators

// Columns [k0, k0 + 16 * kVectors) of kRows rows, the last vector's lanes
// limited to `last` (the others neither read nor written).
template <int kRows, int kVectors>
PROFUNDO_AVX512 inline void Tile(const float* src, int64_t src_stride,
                                 const float* diff_dst, int64_t rows,
                                 int64_t units, int64_t k0, __mmask16 last,
                                 float* block) {
  __m512 acc[kRows][kVectors];
#pragma GCC unroll 4
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 6
    for (int j = 0; j < kVectors; ++j) acc[r][j] = _mm512_setzero_ps();
  }
  const float* d0 = diff_dst + k0;
  for (int64_t n = 0; n < rows; ++n) {
    __m512 d[kVectors];
#pragma GCC unroll 6
    for (int j = 0; j < kVectors; ++j) {
      const __mmask16 m = j == kVectors - 1 ? last : __mmask16{0xffff};
      d[j] = _mm512_maskz_loadu_ps(m, d0 + n * units + 16 * j);
      // Keeps d[j] in a register: GCC otherwise folds the load into each
      // row's FMA, four loads per vector instead of one (~2x slower).
      asm("" : "+v"(d[j]));
    }
    const float* x = src + n * src_stride;
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const __m512 xr = _mm512_set1_ps(x[r]);
#pragma GCC unroll 6
      for (int j = 0; j < kVectors; ++j) {
        acc[r][j] = _mm512_fmadd_ps(xr, d[j], acc[r][j]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 6
    for (int j = 0; j < kVectors; ++j) {
      const __mmask16 m = j == kVectors - 1 ? last : __mmask16{0xffff};
      _mm512_mask_storeu_ps(block + r * units + k0 + 16 * j, m, acc[r][j]);
    }
  }
}

template <int kRows>
PROFUNDO_AVX512 void RowsAvx512(const float* src, int64_t src_stride,
                                const float* diff_dst, int64_t rows,
                                int64_t units, float* block) {
  int64_t k0 = 0;
  for (; units - k0 >= 16 * kTileVectors; k0 += 16 * kTileVectors) {
    Tile<kRows, kTileVectors>(src, src_stride, diff_dst, rows, units, k0,
                              0xffff, block);
  }
  const int64_t rest = units - k0;
  if (rest == 0) return;
  const int vectors = static_cast<int>((rest + 15) / 16);
  const int64_t tail = rest - 16 * (vectors - 1);
  const __mmask16 last = static_cast<__mmask16>((1u << tail) - 1);
  switch (vectors) {
#define PROFUNDO_TILE_CASE(v)                                             \
  case v:                                                                 \
    return Tile<kRows, v>(src, src_stride, diff_dst, rows, units, k0,     \
                          last, block);
    PROFUNDO_TILE_CASE(1)
    PROFUNDO_TILE_CASE(2)
    PROFUNDO_TILE_CASE(3)
    PROFUNDO_TILE_CASE(4)
    PROFUNDO_TILE_CASE(5)
    PROFUNDO_TILE_CASE(6)
#undef PROFUNDO_TILE_CASE
  }
}

const bool kAvx512 = __builtin_cpu_supports("avx512f");
#endif

}  // namespace

bool WeightGradientRowsFast() {
#ifdef PROFUNDO_HAVE_AVX512_INTRINSICS
  return kAvx512;
#else
  return false;
#endif
}

void WeightGradientRows(const float* src, int64_t src_stride,
                        const float* diff_dst, int64_t rows, int64_t units,
                        int64_t count, float* block) {
#ifdef PROFUNDO_HAVE_AVX512_INTRINSICS
  if (kAvx512) {
    int64_t r = 0;
    for (; r + 4 <= count; r += 4) {
      RowsAvx512<4>(src + r, src_stride, diff_dst, rows, units,
                    block + r * units);
    }
    switch (count - r) {
      case 1:
        return RowsAvx512<1>(src + r, src_stride, diff_dst, rows, units,
                             block + r * units);
      case 2:
        return RowsAvx512<2>(src + r, src_stride, diff_dst, rows, units,
                             block + r * units);
      case 3:
        return RowsAvx512<3>(src + r, src_stride, diff_dst, rows, units,
                             block + r * units);
    }
    return;
  }
#endif
  PlainRows(src, src_stride, diff_dst, rows, units, count, block);
}

}  // namespace profundo
