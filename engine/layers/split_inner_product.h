// SplitInnerProduct: a Dense layer's training inner products at small
// batches, computed as two halves of the kernel's rows (the input features),
// each half on its own thread.
//
// Why: at batch 32 the 784x300 layer's inner products are short (~50 us on
// 2 threads), and oneDNN's own 2-thread split of them has each thread read
// kernel rows that the other thread's optimizer loop wrote in the previous
// step, and write gradient rows the other thread then updates. On the
// 2-vCPU VMs this project runs on those cross-core handoffs dominate when
// the vCPUs are far apart. Here thread t reads and writes only rows
// [k0_t, k0_t + kh_t) of the kernel, its gradient and (under
// mixed_bfloat16) its bf16 mirror, nearly the rows the optimizer's loop
// gives the same thread (engine/parallel.h splits the flat buffer of all
// parameters in halves; for the seed BN model the boundary falls at the
// kernel's row ~440 of 784); only the two [rows, units] partial products
// cross, once per forward.
// bench: a batch-32 bf16 epoch of the seed BN model on 2 threads, ~0.50 ->
// ~0.45 s with the vCPUs near; forced onto both threads far apart, 0.99 ->
// 0.75 s (bench/RESULTS.md, session 5).
//
//   forward:          dst = act((src[:, half 0] . kernel[half 0, :]
//                                + src[:, half 1] . kernel[half 1, :]) + bias)
//   backward weights: diff_kernel[half t, :] = src[:, half t]^T . diff_dst,
//                     diff_bias = column sums of diff_dst
//
// (act: the activation's eltwise post-op, if given, run by each thread on
// the rows of dst it has just summed, as the inner product would fuse it;
// a separate pass over dst on the team cost ~2 us per batch-32 step.)
// Two 1-thread oneDNN matmuls on strided views of the caller's buffers
// (src [rows, fan_in] and kernel [fan_in, units] row-major, Keras's layout),
// f32 or bf16 inputs with f32 accumulation and outputs; in float32 up to
// kMaxBlocksRows rows on AVX-512 CPUs, RowsProduct instead (the forward,
// and the gradient blocks of BackwardWeightsByBlocks), which reads only
// its half's kernel rows where oneDNN's gemm reads ~128-192 KiB past them.
// The result does not depend on the team size: on one thread the halves
// run one after the other, the same code on the same data, and the partial
// products are added in the same order (bit-identical; tested). On a team
// of more than 2 threads each half runs on the whole team in turn. In a
// kKernelHalves step (engine/parallel.h) the halves run on two threads
// while the rest of the step runs on one; Dense marks the kernel
// (Parameter::split_row) so that the optimizer updates its halves on the
// same two threads.
//
// Owns its primitives, scratchpads, streams, the second half's partial
// product, the second thread's copy of the bias gradient and each half's
// gradient block (BackwardWeightsByBlocks). Not thread-safe (one layer,
// one thread at a time).
#ifndef PROFUNDO_ENGINE_LAYERS_SPLIT_INNER_PRODUCT_H_
#define PROFUNDO_ENGINE_LAYERS_SPLIT_INNER_PRODUCT_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "dnnl.hpp"
#include "engine/layers/dnnl_util.h"
#include "engine/layers/matmul_product.h"

namespace profundo {

class SplitInnerProduct {
 public:
  // Whether a Dense layer's training step at `rows` rows uses the split:
  // batches up to 256 rows of layers large enough for the handoffs to
  // matter. (At first at most 64: in isolation the split forward was 7%
  // slower than the inner product at 256 rows. In whole training steps
  // at batch 256 it is as fast near, 0.26-0.29 s/epoch either way, bf16,
  // and with kKernelHalves far apart 0.33-0.39 instead of 0.44.)
  static constexpr int64_t kMaxRows = 256;
  static constexpr int64_t kMinKernel = 65536;  // fan_in x units
  static bool Applies(int64_t rows, int64_t fan_in, int64_t units) {
    return rows > 0 && rows <= kMaxRows && fan_in >= 2 &&
           fan_in * units >= kMinKernel;
  }
  // Seed BN model, float32, 2 threads near, per step: batch 32, backward
  // and update 90 -> 83 us; batch 64 136 -> 133 (even); 128 and 256 worse
  // (+39 and +83 us: WeightGradientRows reads diff_dst from L2).
  static constexpr int64_t kMaxBlocksRows = 32;
  // (The forward's RowsProduct too: measured only at batch 32.)
  bool BlocksPay() const { return rows_ <= kMaxBlocksRows; }
  // The first kernel row of the second half.
  static int64_t SecondHalfRow(int64_t fan_in) { return fan_in / 2; }

  // For `rows` x `fan_in` src, `fan_in` x `units` kernel and `rows` x
  // `units` diff_dst of element `type` (f32 or bf16); `activation`: none,
  // or one eltwise post-op (ActivationOp::AppendPostOp). Throws dnnl::error
  // (callers run it under RunDnnl).
  SplitInnerProduct(int64_t rows, int64_t fan_in, int64_t units,
                    dnnl::memory::data_type type, const dnnl::engine& engine,
                    const dnnl::post_ops& activation = dnnl::post_ops());

  // dst [rows, units] = act(src . kernel + bias) (bias null: none).
  void Forward(const void* src, const void* kernel, const float* bias,
               float* dst);
  // diff_kernel [fan_in, units] = src^T . diff_dst; diff_bias [units] (if
  // not null) = sum over rows of diff_dst. Then, if `after_rows` is set,
  // after_rows(begin, end, bias) for each half's kernel rows [begin, end),
  // on the thread that computed them, right after (the rows still in its
  // cache), with `bias` the complete diff_bias (the second thread's own
  // copy of it, the same bits; null without diff_bias).
  using AfterRows =
      std::function<void(int64_t begin, int64_t end, const float* bias)>;
  void BackwardWeights(const void* src, const void* diff_dst,
                       float* diff_kernel, float* diff_bias,
                       const AfterRows& after_rows = nullptr);
  // As BackwardWeights (f32 only), but the kernel's gradient is never
  // stored: each half computes its rows in blocks of
  // kWeightGradientBlockRows (WeightGradientRows) and calls on_block(begin,
  // end, block, bias) on each, on the thread that computed it: block holds
  // rows [begin, end) of the gradient ([end - begin, units], valid during
  // the call, in L1), bias as in AfterRows. For Dense's early updates
  // (optimizer.h). Only where it pays: up to kMaxBlocksRows rows, where
  // diff_dst's 96-column tiles stay in L1 (BlocksPay).
  using OnBlock = std::function<void(int64_t begin, int64_t end,
                                     const float* block, const float* bias)>;
  void BackwardWeightsByBlocks(const float* src, const float* diff_dst,
                               float* diff_bias, const OnBlock& on_block);

 private:
  struct Half {
    int64_t k0 = 0, kh = 0;  // kernel rows [k0, k0 + kh)
    MatmulProduct fwd;  // src[:, half] . kernel[half, :]
    MatmulProduct bwd;  // src[:, half]^T . diff_dst
    dnnl::stream stream;
    // In place on dst's rows [r0, r1) (this half's share of the sum).
    int64_t r0 = 0, r1 = 0;
    dnnl::memory act_data;
    DnnlArgs act_args;
    dnnl::primitive act;  // null without an activation
  };
  // The bias gradient half t's rows may use, as soon as its thread needs
  // it (no barrier): thread 0 sums diff_dst's rows into diff_bias; thread 1,
  // with `own_copy` (two threads, and its rows need the bias), into
  // bias_copy_ (the same bits), else it returns diff_bias unsummed (null
  // without a bias).
  float* HalfBias(int t, bool own_copy, const void* diff_dst,
                  float* diff_bias);
  // The activation on half t's rows of dst, on its stream.
  void Activate(Half& h, float* dst);
  void* At(const void* base, int64_t elements) const;

  int64_t rows_, units_;
  size_t element_bytes_;
  Half half_[2];
  std::vector<float> partial_;  // [rows, units]: half 1's forward product
  std::vector<float> bias_copy_;  // [units]: the second thread's diff_bias
  std::vector<float> block_[2];  // each half's BackwardWeightsByBlocks block
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_SPLIT_INNER_PRODUCT_H_
