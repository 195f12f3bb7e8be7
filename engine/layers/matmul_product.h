// MatmulProduct: one oneDNN matmul c = a . b on unbound views of the
// caller's buffers (plain or strided, e.g. a transposed src), bound before
// each run; and SumRows, the column sums of a row-major matrix.
//
// The layers' training products use it: SplitInnerProduct's halves, which
// may run on one thread of a pair (RunPair, engine/parallel.h), and Dense's
// backward-weights product src^T . diff_dst and its forward (with the bias
// and the activation) when not split: at the seed's 300x100 and 100x10
// shapes oneDNN runs a matmul on plain layouts as brgemm, its inner product
// as gemm:jit, and the matmul is faster (2 threads, f32 with elu: 32 rows
// 8.6 -> 6.7 and 2.3 -> 1.4 us, 256 rows 49 -> 42 and 7.0 -> 3.7; bf16
// likewise). A matmul gives the same bits run on the team, on one thread,
// or on one thread inside a parallel region (model_execution_test);
// oneDNN 2.6's bf16 inner product backward weights inside a parallel
// region did not.
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
  // c = a . b, or with `with_bias` c = a . b + bias (bias: [c's columns]
  // f32, added to every row), then `ops` (e.g. an activation's eltwise
  // post-op) on c. Throws dnnl::error (callers run it under RunDnnl).
  MatmulProduct(const dnnl::memory::desc& a_md, const dnnl::memory::desc& b_md,
                const dnnl::memory::desc& c_md, const dnnl::engine& engine,
                bool with_bias = false,
                const dnnl::post_ops& ops = dnnl::post_ops());
  // Runs it on `stream`, waiting for it; `bias` only if built with_bias.
  void Run(const void* a_data, const void* b_data, float* c_data,
           dnnl::stream& stream, const float* bias = nullptr);

 private:
  dnnl::memory a_, b_, c_, bias_;  // views bound by Run
  DnnlArgs args_;
  dnnl::matmul matmul_;
};

// sum[j] = sum over the rows r of d[r, j] (f32 or bf16 bits), r in order.
void SumRows(const float* d, int64_t rows, int64_t cols, float* sum);
void SumRows(const uint16_t* d, int64_t rows, int64_t cols, float* sum);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_MATMUL_PRODUCT_H_
