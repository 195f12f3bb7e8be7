// MatmulProduct: one oneDNN matmul c = a . b on unbound views of the
// caller's buffers (plain or strided, e.g. a transposed src), bound before
// each run; and SumRows, the column sums of a row-major matrix.
//
// The layers' training products that may run on one thread of a pair
// (RunPair, engine/parallel.h) use it: SplitInnerProduct's halves and
// Dense's backward-weights product src^T . diff_dst. A matmul gives the same
// bits run on the team, on one thread, or on one thread inside a parallel
// region (model_execution_test); oneDNN 2.6's bf16 inner product backward
// weights inside a parallel region did not.
//
// Owns its primitive, scratchpad and memory objects. Not thread-safe: one
// run at a time.
#ifndef PROFUNDO_ENGINE_LAYERS_MATMUL_PRODUCT_H_
#define PROFUNDO_ENGINE_LAYERS_MATMUL_PRODUCT_H_

#include <cstdint>

#include "dnnl.hpp"
#include "engine/layers/dnnl_util.h"

namespace profundo {

class MatmulProduct {
 public:
  MatmulProduct() = default;
  // Throws dnnl::error (callers run it under RunDnnl).
  MatmulProduct(const dnnl::memory::desc& a_md, const dnnl::memory::desc& b_md,
                const dnnl::memory::desc& c_md, const dnnl::engine& engine);
  // c = a . b on `stream`, waiting for it.
  void Run(const void* a_data, const void* b_data, float* c_data,
           dnnl::stream& stream);

 private:
  dnnl::memory a_, b_, c_;  // views bound by Run
  DnnlArgs args_;
  dnnl::matmul matmul_;
};

// sum[j] = sum over the rows r of d[r, j] (f32 or bf16 bits), r in order.
void SumRows(const float* d, int64_t rows, int64_t cols, float* sum);
void SumRows(const uint16_t* d, int64_t rows, int64_t cols, float* sum);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_MATMUL_PRODUCT_H_
