// WeightGradientRows: a few rows of a Dense kernel's gradient, computed
// into a small block that the caller uses while it is in L1:
//   block[r, k] = sum over n of src[n, r] diff_dst[n, k],
//   r < count (1..kWeightGradientBlockRows), k < units, n < rows,
// with src pointing at column r = 0 of a row-major matrix whose rows are
// src_stride floats apart, diff_dst [rows, units] row-major and block
// [count, units] row-major. Each element is one chain of fused
// multiply-adds over n in order, so a row gives the same bits whatever
// block, thread or CPU computes it.
//
// SplitInnerProduct::BackwardWeightsByBlocks uses it so that the optimizer
// updates each block of a kernel right after its gradient (early updates,
// optimizer.h): the gradient never goes to memory. On AVX-512 CPUs four
// rows at a time in tiles of 96 columns (24 accumulator registers); on the
// seed's 784x300 halves at batch 32 as fast as oneDNN's single-thread
// matmul (bench/RESULTS.md, session 18). Elsewhere a plain loop, correct
// but slower (Fast() says which).
//
// Free functions; thread-safe (distinct blocks).
#ifndef PROFUNDO_ENGINE_LAYERS_WEIGHT_GRADIENT_ROWS_H_
#define PROFUNDO_ENGINE_LAYERS_WEIGHT_GRADIENT_ROWS_H_

#include <cstdint>

namespace profundo {

inline constexpr int64_t kWeightGradientBlockRows = 4;

void WeightGradientRows(const float* src, int64_t src_stride,
                        const float* diff_dst, int64_t rows, int64_t units,
                        int64_t count, float* block);

// Whether WeightGradientRows runs its AVX-512 kernel on this CPU.
bool WeightGradientRowsFast();

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_WEIGHT_GRADIENT_ROWS_H_
