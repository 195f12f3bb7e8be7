// Transpose: out [cols, rows] = in [rows, cols] transposed, both row-major
// float32. Dense's training products by rows (Dense::BackwardRows) use it
// to put an operand and a result in the layouts RowsProduct reads and
// writes (diff_src = diff_dst . kernel^T as (kernel . diff_dst^T)^T).
//
// On AVX-512 CPUs in 16x16 blocks in registers (masked loads and stores at
// the edges), else a plain loop. The seed BN model's shapes at batch 32,
// one thread, in L1 (a throwaway loop): 32x100 0.81 -> 0.15 us, 300x32
// 2.41 -> 0.70 (bench/RESULTS.md, session 20).
//
// A free function; thread-safe (distinct outputs). in and out must not
// overlap.
#ifndef PROFUNDO_ENGINE_LAYERS_TRANSPOSE_H_
#define PROFUNDO_ENGINE_LAYERS_TRANSPOSE_H_

#include <cstdint>

namespace profundo {

void Transpose(const float* in, int64_t rows, int64_t cols, float* out);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_TRANSPOSE_H_
