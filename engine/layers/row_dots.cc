#include "engine/layers/row_dots.h"

#include "engine/cpu_features.h"
#include "engine/mixed_precision/bfloat16.h"
#include "engine/parallel.h"

namespace profundo {
namespace {

// One row at a time, vectorized by the compiler (AVX2 / AVX-512 clones).
template <typename W>
void RowDotsBody(const W* w, const float* g, const float* a, int64_t rows,
                 int64_t cols, float* w_a, float* w_g) {
  for (int64_t c = 0; c < rows; ++c) {
    const W* wc = w + c * cols;
    const float* gc = g + c * cols;
    float sa = 0.f;
    float sg = 0.f;
    PROFUNDO_PRAGMA_(omp simd reduction(+ : sa, sg))
    for (int64_t k = 0; k < cols; ++k) {
      const float wk = WidenToFloat(wc[k]);
      sa += wk * a[k];
      sg += wk * gc[k];
    }
    w_a[c] = sa;
    w_g[c] = sg;
  }
}
PROFUNDO_TARGET_CLONES
void CompiledRowDots(const float* w, const float* g, const float* a,
                     int64_t rows, int64_t cols, float* w_a, float* w_g) {
  RowDotsBody(w, g, a, rows, cols, w_a, w_g);
}
PROFUNDO_TARGET_CLONES
void CompiledRowDots(const uint16_t* w, const float* g, const float* a,
                     int64_t rows, int64_t cols, float* w_a, float* w_g) {
  RowDotsBody(w, g, a, rows, cols, w_a, w_g);
}

#ifdef PROFUNDO_HAVE_X86_INTRINSICS
#define PROFUNDO_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

// 16 elements of w from p (the lanes of mask m; the others 0), as floats.
PROFUNDO_AVX512 inline __m512 LoadWidened(const float* p, __mmask16 m) {
  return _mm512_maskz_loadu_ps(m, p);
}
PROFUNDO_AVX512 inline __m512 LoadWidened(const uint16_t* p, __mmask16 m) {
  const __m512i bits = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(bits, 16));
}

// The sums of kRows rows starting at w and g, to w_a[0..kRows) and
// w_g[0..kRows). The row loops are unrolled so that sa and sg live in
// registers (as loops GCC kept them on the stack: 109 us instead of 101 for
// the bf16 backward in row_dots.h).
template <int kRows, typename W>
PROFUNDO_AVX512 inline void RowsAvx512(const W* w, const float* g,
                                       const float* a, int64_t cols,
                                       float* w_a, float* w_g) {
  __m512 sa[kRows], sg[kRows];
#pragma GCC unroll 4
  for (int r = 0; r < kRows; ++r) {
    sa[r] = _mm512_setzero_ps();
    sg[r] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < cols; k += 16) {
    const __mmask16 m =
        cols - k >= 16 ? __mmask16{0xffff}
                       : static_cast<__mmask16>((1u << (cols - k)) - 1);
    const __m512 ak = _mm512_maskz_loadu_ps(m, a + k);
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      const __m512 wk = LoadWidened(w + r * cols + k, m);
      sa[r] = _mm512_fmadd_ps(wk, ak, sa[r]);
      sg[r] = _mm512_fmadd_ps(wk, _mm512_maskz_loadu_ps(m, g + r * cols + k),
                              sg[r]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < kRows; ++r) {
    w_a[r] = _mm512_reduce_add_ps(sa[r]);
    w_g[r] = _mm512_reduce_add_ps(sg[r]);
  }
}

template <typename W>
PROFUNDO_AVX512 void RowDotsAvx512(const W* w, const float* g, const float* a,
                                   int64_t rows, int64_t cols, float* w_a,
                                   float* w_g) {
  constexpr int kRows = 4;
  int64_t c = 0;
  for (; c + kRows <= rows; c += kRows) {
    RowsAvx512<kRows>(w + c * cols, g + c * cols, a, cols, w_a + c, w_g + c);
  }
  for (; c < rows; ++c) {
    RowsAvx512<1>(w + c * cols, g + c * cols, a, cols, w_a + c, w_g + c);
  }
}
#endif

template <typename W>
void Dispatch(const W* w, const float* g, const float* a, int64_t rows,
              int64_t cols, float* w_a, float* w_g) {
#ifdef PROFUNDO_HAVE_X86_INTRINSICS
  if (CpuHasAvx512BwVl()) {
    return RowDotsAvx512(w, g, a, rows, cols, w_a, w_g);
  }
#endif
  CompiledRowDots(w, g, a, rows, cols, w_a, w_g);
}

}  // namespace

void RowDots(const float* w, const float* g, const float* a, int64_t rows,
             int64_t cols, float* w_a, float* w_g) {
  Dispatch(w, g, a, rows, cols, w_a, w_g);
}
void RowDots(const uint16_t* w, const float* g, const float* a, int64_t rows,
             int64_t cols, float* w_a, float* w_g) {
  Dispatch(w, g, a, rows, cols, w_a, w_g);
}

}  // namespace profundo
