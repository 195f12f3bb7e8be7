#include "engine/layers/transpose.h"

#include "engine/cpu_features.h"

namespace profundo {
namespace {

void PlainTranspose(const float* in, int64_t rows, int64_t cols,
                    float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[c * rows + r] = in[r * cols + c];
  }
}

#ifdef PROFUNDO_HAVE_X86_INTRINSICS
#define PROFUNDO_AVX512 __attribute__((target("avx512f")))

PROFUNDO_AVX512 inline __m512 UnpackLo64(__m512 a, __m512 b) {
  return _mm512_castpd_ps(
      _mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
}
PROFUNDO_AVX512 inline __m512 UnpackHi64(__m512 a, __m512 b) {
  return _mm512_castpd_ps(
      _mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
}

// The block of n_rows <= 16 rows and n_cols <= 16 columns at in (rows
// in_stride floats apart) into out (rows out_stride apart): out[c, r] =
// in[r, c]. Rows past n_rows are read as zeros; only the block's own
// elements are written.
PROFUNDO_AVX512 void Block16(const float* in, int64_t in_stride,
                             int n_rows, int n_cols, float* out,
                             int64_t out_stride) {
  const __mmask16 col_mask = static_cast<__mmask16>((1u << n_cols) - 1);
  const __mmask16 row_mask = static_cast<__mmask16>((1u << n_rows) - 1);
  __m512 x[16], y[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) {
    x[i] = i < n_rows ? _mm512_maskz_loadu_ps(col_mask, in + i * in_stride)
                      : _mm512_setzero_ps();
  }
  // Pairs of rows interleaved by 32 bits, then by 64: x[4q + j] holds
  // column 4l + j of rows 4q..4q+3 in its 128-bit lane l.
#pragma GCC unroll 8
  for (int i = 0; i < 16; i += 2) {
    y[i] = _mm512_unpacklo_ps(x[i], x[i + 1]);
    y[i + 1] = _mm512_unpackhi_ps(x[i], x[i + 1]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 16; i += 4) {
    x[i] = UnpackLo64(y[i], y[i + 2]);
    x[i + 1] = UnpackHi64(y[i], y[i + 2]);
    x[i + 2] = UnpackLo64(y[i + 1], y[i + 3]);
    x[i + 3] = UnpackHi64(y[i + 1], y[i + 3]);
  }
  // Then the 128-bit lanes across the four groups of rows.
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    const int a = (i / 4) * 8 + i % 4;
    y[i] = _mm512_shuffle_f32x4(x[a], x[a + 4], 0x88);
    y[i + 8] = _mm512_shuffle_f32x4(x[a], x[a + 4], 0xdd);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    x[i] = _mm512_shuffle_f32x4(y[i], y[i + 4], 0x88);
    x[i + 8] = _mm512_shuffle_f32x4(y[i], y[i + 4], 0xdd);
    x[i + 4] = _mm512_shuffle_f32x4(y[i + 8], y[i + 12], 0x88);
    x[i + 12] = _mm512_shuffle_f32x4(y[i + 8], y[i + 12], 0xdd);
  }
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) {
    if (i < n_cols) _mm512_mask_storeu_ps(out + i * out_stride, row_mask, x[i]);
  }
}

PROFUNDO_AVX512 void TransposeAvx512(const float* in, int64_t rows,
                                     int64_t cols, float* out) {
  for (int64_t r = 0; r < rows; r += 16) {
    const int n_rows = static_cast<int>(rows - r < 16 ? rows - r : 16);
    for (int64_t c = 0; c < cols; c += 16) {
      const int n_cols = static_cast<int>(cols - c < 16 ? cols - c : 16);
      Block16(in + r * cols + c, cols, n_rows, n_cols, out + c * rows + r,
              rows);
    }
  }
}
#endif

}  // namespace

void Transpose(const float* in, int64_t rows, int64_t cols, float* out) {
#ifdef PROFUNDO_HAVE_X86_INTRINSICS
  if (CpuHasAvx512()) return TransposeAvx512(in, rows, cols, out);
#endif
  PlainTranspose(in, rows, cols, out);
}

}  // namespace profundo
