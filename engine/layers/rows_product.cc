#include "engine/layers/rows_product.h"

#include <algorithm>
#include <cmath>

#include "engine/cpu_features.h"

namespace profundo {
namespace {

void PlainRows(const float* a, int64_t a_row, int64_t a_depth,
               const float* b, int64_t depth, int64_t units, int64_t count,
               float* out) {
  std::fill_n(out, count * units, 0.f);
  for (int64_t n = 0; n < depth; ++n) {
    const float* bn = b + n * units;
    for (int64_t r = 0; r < count; ++r) {
      const float x = a[r * a_row + n * a_depth];
      float* o = out + r * units;
      for (int64_t k = 0; k < units; ++k) o[k] = std::fma(x, bn[k], o[k]);
    }
  }
}

#ifdef PROFUNDO_HAVE_X86_INTRINSICS
#define PROFUNDO_AVX512 __attribute__((target("avx512f")))

// Columns [k0, k0 + 16 * kVectors) of kRows rows, the last vector's lanes
// limited to `last` (the others neither read nor written).
template <int kRows, int kVectors, bool kUnitRow>
PROFUNDO_AVX512 inline void Tile(const float* a, int64_t a_row,
                                 int64_t a_depth, const float* b,
                                 int64_t depth, int64_t units, int64_t k0,
                                 __mmask16 last, float* out) {
  __m512 acc[kRows][kVectors];
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 6
    for (int j = 0; j < kVectors; ++j) acc[r][j] = _mm512_setzero_ps();
  }
  const float* b0 = b + k0;
  for (int64_t n = 0; n < depth; ++n) {
    __m512 d[kVectors];
#pragma GCC unroll 6
    for (int j = 0; j < kVectors; ++j) {
      const __mmask16 m = j == kVectors - 1 ? last : __mmask16{0xffff};
      d[j] = _mm512_maskz_loadu_ps(m, b0 + n * units + 16 * j);
      // Keeps d[j] in a register: GCC otherwise folds the load into each
      // row's FMA, one load per row instead of one (~2x slower).
      asm("" : "+v"(d[j]));
    }
    const float* x = a + n * a_depth;
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) {
      const __m512 xr = _mm512_set1_ps(x[kUnitRow ? r : r * a_row]);
#pragma GCC unroll 6
      for (int j = 0; j < kVectors; ++j) {
        acc[r][j] = _mm512_fmadd_ps(xr, d[j], acc[r][j]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
#pragma GCC unroll 6
    for (int j = 0; j < kVectors; ++j) {
      const __mmask16 m = j == kVectors - 1 ? last : __mmask16{0xffff};
      _mm512_mask_storeu_ps(out + r * units + k0 + 16 * j, m, acc[r][j]);
    }
  }
}

// kRows rows, in tiles of kTile vectors (24 accumulators: 8 x 3 or 4 x 6),
// then the columns left in one narrower tile.
template <int kRows, int kTile, bool kUnitRow>
PROFUNDO_AVX512 void RowsAvx512(const float* a, int64_t a_row,
                                int64_t a_depth, const float* b,
                                int64_t depth, int64_t units, float* out) {
  int64_t k0 = 0;
  for (; units - k0 >= 16 * kTile; k0 += 16 * kTile) {
    Tile<kRows, kTile, kUnitRow>(a, a_row, a_depth, b, depth, units, k0,
                                 0xffff, out);
  }
  const int64_t rest = units - k0;
  if (rest == 0) return;
  const int vectors = static_cast<int>((rest + 15) / 16);
  const int64_t tail = rest - 16 * (vectors - 1);
  const __mmask16 last = static_cast<__mmask16>((1u << tail) - 1);
  switch (vectors) {
#define PROFUNDO_TILE_CASE(v)                                           \
  case v:                                                               \
    if constexpr (v <= kTile) {                                         \
      return Tile<kRows, v, kUnitRow>(a, a_row, a_depth, b, depth, units, \
                                      k0, last, out);                   \
    }                                                                   \
    break;
    PROFUNDO_TILE_CASE(1)
    PROFUNDO_TILE_CASE(2)
    PROFUNDO_TILE_CASE(3)
    PROFUNDO_TILE_CASE(4)
    PROFUNDO_TILE_CASE(5)
    PROFUNDO_TILE_CASE(6)
#undef PROFUNDO_TILE_CASE
  }
}

// The rows in groups of 8, then 4, then the 1-3 left; kUnitRow: a's rows
// are adjacent (a_row == 1, the weight gradient's layout), which the
// broadcasts then address without a multiply.
template <bool kUnitRow>
PROFUNDO_AVX512 void RowsProductAvx512(const float* a, int64_t a_row,
                                       int64_t a_depth, const float* b,
                                       int64_t depth, int64_t units,
                                       int64_t count, float* out) {
  int64_t r = 0;
  for (; r + 8 <= count; r += 8) {
    RowsAvx512<8, 3, kUnitRow>(a + r * a_row, a_row, a_depth, b, depth,
                               units, out + r * units);
  }
  for (; r + 4 <= count; r += 4) {
    RowsAvx512<4, 6, kUnitRow>(a + r * a_row, a_row, a_depth, b, depth,
                               units, out + r * units);
  }
  const float* ar = a + r * a_row;
  float* o = out + r * units;
  switch (count - r) {
    case 1:
      return RowsAvx512<1, 6, kUnitRow>(ar, a_row, a_depth, b, depth, units,
                                        o);
    case 2:
      return RowsAvx512<2, 6, kUnitRow>(ar, a_row, a_depth, b, depth, units,
                                        o);
    case 3:
      return RowsAvx512<3, 6, kUnitRow>(ar, a_row, a_depth, b, depth, units,
                                        o);
  }
}
#endif

}  // namespace

bool RowsProductFast() {
#ifdef PROFUNDO_HAVE_X86_INTRINSICS
  return CpuHasAvx512();
#else
  return false;
#endif
}

void RowsProduct(const float* a, int64_t a_row, int64_t a_depth,
                 const float* b, int64_t depth, int64_t units, int64_t count,
                 float* out) {
#ifdef PROFUNDO_HAVE_X86_INTRINSICS
  if (CpuHasAvx512()) {
    if (a_row == 1) {
      return RowsProductAvx512<true>(a, a_row, a_depth, b, depth, units,
                                     count, out);
    }
    return RowsProductAvx512<false>(a, a_row, a_depth, b, depth, units,
                                    count, out);
  }
#endif
  PlainRows(a, a_row, a_depth, b, depth, units, count, out);
}

}  // namespace profundo
