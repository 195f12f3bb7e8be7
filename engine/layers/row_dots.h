// RowDots: for each row c of a row-major [rows, cols] matrix w (float, or
// bf16 bits), the dot products with a vector a and with the same row of a
// float matrix g:
//   w_a[c] = sum_k w[c, k] a[k],   w_g[c] = sum_k w[c, k] g[c, k].
// Dense::BackwardToColumnSums computes the column sums of its diff_src this
// way, with w its kernel (or the kernel's bf16 mirror), a the bias gradient
// and g the kernel gradient.
//
// On AVX-512 CPUs: four rows at a time, each row's two sums in their own
// registers, masked loads for the last cols % 16 columns. The compiled loop
// (still the fallback) ran one row at a time, a chain of dependent FMAs per
// sum, then a scalar remainder and reduction: 33 us of a 116 us bf16
// 784x300 BackwardToColumnSums at batch 32 on one thread, now 101 us (f32
// 182 -> 174; BM_DenseBackwardToColumnSums). A row's additions are in an
// order fixed by the code, not by the caller: the same row gives the same
// bits alone or among others, on any thread.
//
// Free functions; thread-safe (distinct outputs).
#ifndef PROFUNDO_ENGINE_LAYERS_ROW_DOTS_H_
#define PROFUNDO_ENGINE_LAYERS_ROW_DOTS_H_

#include <cstdint>

namespace profundo {

void RowDots(const float* w, const float* g, const float* a, int64_t rows,
             int64_t cols, float* w_a, float* w_g);
void RowDots(const uint16_t* w, const float* g, const float* a, int64_t rows,
             int64_t cols, float* w_a, float* w_g);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_ROW_DOTS_H_
