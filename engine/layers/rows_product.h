// RowsProduct: a few rows of a small float32 matrix product, each element
// one chain of fused multiply-adds in order:
//   out[r, k] = sum over n < depth of a[r * a_row + n * a_depth] b[n, k],
//   r < count, k < units,
// with b [depth, units] and out [count, units] row-major. So an element
// has the same bits whatever block, thread or CPU computes it.
//
// SplitInnerProduct uses it for both products of a kernel half at small
// batches (up to kMaxBlocksRows rows):
//   - the backward's weight gradient, kWeightGradientBlockRows rows at a
//     time into a block the optimizer updates while it is in L1 (early
//     updates, optimizer.h): WeightGradientRows below;
//   - the forward product, src[:, half] . kernel[half, :]: the same speed
//     as oneDNN's single-thread gemm on the seed's 32x392x300 halves
//     (31.2 against 31.6 us) and, unlike it, reading only the kernel rows
//     of its half. oneDNN's gemm reads ~128-192 KiB past them (the other
//     thread's rows, the parameters after the kernel), so with the vCPUs
//     far apart every store of the other thread's update to those lines
//     waited for this core to drop its copy: seed BN batch 32 float32 far
//     apart ~230 -> ~212 us a step; near even to ~1% slower, within the
//     run-to-run spread (bench/RESULTS.md, session 19).
// On AVX-512 CPUs in tiles of 8 rows x 48 columns or 4 rows x 96 columns
// (24 accumulator registers); elsewhere a plain loop, correct but slower
// (RowsProductFast() says which).
//
// Free functions; thread-safe (distinct outputs).
#ifndef PROFUNDO_ENGINE_LAYERS_ROWS_PRODUCT_H_
#define PROFUNDO_ENGINE_LAYERS_ROWS_PRODUCT_H_

#include <cstdint>

namespace profundo {

void RowsProduct(const float* a, int64_t a_row, int64_t a_depth,
                 const float* b, int64_t depth, int64_t units, int64_t count,
                 float* out);

// Whether RowsProduct runs its AVX-512 kernels on this CPU.
bool RowsProductFast();

inline constexpr int64_t kWeightGradientBlockRows = 4;

// Rows [0, count) of a Dense kernel's gradient src^T . diff_dst:
//   block[r, k] = sum over n < rows of src[n, r] diff_dst[n, k],
// src pointing at column 0 of the block's rows in a row-major matrix whose
// rows are src_stride floats apart; diff_dst [rows, units].
inline void WeightGradientRows(const float* src, int64_t src_stride,
                               const float* diff_dst, int64_t rows,
                               int64_t units, int64_t count, float* block) {
  RowsProduct(src, 1, src_stride, diff_dst, rows, units, count, block);
}

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_ROWS_PRODUCT_H_
