// Dense: Keras's fully connected layer, dst = activation(src . kernel + bias)
// for src [N, fan_in] and dst [N, units].
//
// Parameters (in the ParameterStore, Keras names and layout):
//   "<name>/kernel" [fan_in, units] row-major, trainable
//   "<name>/bias"   [units], trainable, only when use_bias
// with the spec's regularizers and max_norm constraints attached to them (the
// model and optimizer apply those).
//
// oneDNN inner_product forward and backward_data (weights in the "io"
// format, which is Keras's [in, out] row-major layout) and matmuls for the
// kernel's gradient, src^T . diff_dst (the bias gradient is the column sums
// of diff_dst), and for the training forward with the bias and activation
// fused (faster than the inner product there; matmul_product.h). On a team
// of exactly two threads the backward-data and backward-weights products
// run side by side, one per thread (RunPair, engine/parallel.h): oneDNN
// gives a 2-thread team little over one thread at these sizes (the seed's
// 300x100 layer at batch 32, float32 17.6 -> 11.2 us, bf16 10.3 -> 7.4 us;
// BM_DenseBackward). The matmul, unlike oneDNN's bf16 inner product
// backward weights, gives the same bits run so as on one thread alone. The
// activation is fused into the forward products as an eltwise post-op
// where oneDNN has one (sigmoid, tanh, relu, leaky_relu, elu), else
// applied in place on dst (ActivationOp).
// Backward needs only src and dst: every activation's gradient is computed
// from dst. Primitives are built once per batch size and reused
// (primitive_cache.h); buffers grow once and are reused, so a training step
// allocates nothing. After a BatchNormalization on the model's input the
// model asks for diff_src's column sums instead of diff_src
// (BackwardToColumnSums, layer.h), which saves the largest layer's
// backward-data inner product (with split products, each thread computes
// the sums of the kernel rows whose gradient it just computed). Training
// steps of batches up to 256 rows on large layers
// (SplitInnerProduct::Applies) run the forward and backward-weights
// products as two halves of the kernel's rows, one per thread, each thread
// then applying the activation to its share of the summed rows
// (split_inner_product.h); inference keeps the one fused inner product,
// and from kBlockedMinRows rows (MC dropout's passes, large evaluations)
// runs it on a copy of the kernel in the layout oneDNN picks for it, made
// again whenever the store's values_generation() moved (the bf16 mirror's
// contract, parameters.h).
// Early updates (optimizer.h): in a float32 training step whose optimizer
// allows them, a split kernel that needs no diff_src (the model's first
// trainable layer) is updated inside Backward: each thread computes its
// half's gradient in blocks of four rows (WeightGradientRows), takes the
// column sums from each block and hands it to the optimizer while it is in
// L1; the kernel's gradient is never stored. Seed BN model, float32 batch
// 32, 2 threads near: backward and update 90 -> 83 us a step
// (bench/RESULTS.md, session 18).
// Training steps of other float32 layers at up to kRowsProductMaxRows rows
// run their products as RowsProduct (rows_product.h) on AVX-512 CPUs: the
// forward's with the batch's rows in two halves on a team of two (16 rows
// and more), then the bias and the activation (ActivationOp::Forward); the
// backward's two side by side on a team of two, diff_src through two small
// transposes (transpose.h). The seed BN model's 300x100 and 100x10 layers
// at batch 32, near: forward 8.1-8.9 -> 7.5-7.7 and 1.1 -> 0.7-0.8 us,
// backward 12.2-12.5 -> 12.1-12.3 and 3.3-3.4 -> 2.5-2.6, against oneDNN's
// brgemm matmul and backward primitives, which are then not built (0.1-0.5
// ms each to create per row count; bench/RESULTS.md, session 19); with the
// transposes in AVX-512 registers instead of a plain loop, backward 11.6-
// 11.9 -> 10.2-10.6 and 2.1 -> 1.3-1.4 (session 20).
// A layer with less than kParallelMinMacs multiply-adds per call runs on
// the calling thread alone (dnnl_util.h).
//
// Under DtypePolicy::kMixedBfloat16 (engine/mixed_precision/policy.h) the
// three inner products take bfloat16 src, weights and diff_dst (oneDNN's
// avx512_core_bf16 GEMM; f32 accumulation, f32 dst, diff_src, diff_weights
// and diff_bias). The bf16 kernel lives in the ParameterStore's bf16 mirror
// (requested in Build): the optimizer's step writes it as it updates the
// weights, and Forward converts the f32 kernel itself only when the mirror
// is not current (first step, after SetWeights, predictions). Forward
// converts src to bf16 (kept with the primitives for backward weights);
// Backward writes the gradient at the pre-activation as bf16 (the
// activation's hand-written backward converts as it goes) and reuses
// the kernel copy of the last Forward, so the weights must not change
// between a kTrain Forward and its Backward (the fit's order: forward,
// backward, optimizer step). Parameters and their gradients stay f32.
//
// Owns its initializers, primitives, the bf16 and blocked copies and a
// [N, units] scratch gradient. Not thread-safe (engine/layers/layer.h).
//
// Example:
//   DenseOptions o;  o.units = 300;  o.activation = ActivationKind::kElu;
//   o.kernel_initializer = *MakeInitializer("he_normal", {}, "...");
//   Dense dense("dense", std::move(o));
#ifndef PROFUNDO_ENGINE_LAYERS_DENSE_H_
#define PROFUNDO_ENGINE_LAYERS_DENSE_H_

#include <memory>
#include <optional>
#include <string>

#include "engine/activations/activation.h"
#include "engine/constraints/max_norm.h"
#include "engine/initializers/initializer.h"
#include "engine/layers/activation_op.h"
#include "engine/layers/layer.h"
#include "engine/layers/primitive_cache.h"
#include "engine/layers/split_inner_product.h"
#include "engine/mixed_precision/policy.h"
#include "engine/regularizers/regularizer.h"

namespace profundo {

struct DenseOptions {
  int64_t units = 0;
  ActivationKind activation = ActivationKind::kLinear;
  // Negative slope (leaky_relu) or alpha (elu); Keras's defaults if unset.
  std::optional<double> activation_alpha;
  bool use_bias = true;
  // Required; bias_initializer only when use_bias.
  std::unique_ptr<Initializer> kernel_initializer;
  std::unique_ptr<Initializer> bias_initializer;
  Regularizer kernel_regularizer;
  Regularizer bias_regularizer;
  std::optional<MaxNorm> kernel_constraint;
  std::optional<MaxNorm> bias_constraint;
  // The model's policy: kMixedBfloat16 runs the inner products in bf16.
  DtypePolicy dtype_policy = DtypePolicy::kFloat32;
};

class Dense final : public Layer {
 public:
  Dense(std::string name, DenseOptions options);
  ~Dense() override;

  const char* type() const override { return "Dense"; }
  absl::StatusOr<Shape> Build(const Shape& input_shape,
                              ParameterStore& store) override;
  void Initialize(ParameterStore& store, Rng& rng) override;
  void Forward(const Tensor& src, Tensor* dst, Mode mode,
               Context& ctx) override;
  void Backward(const Tensor& src, const Tensor& dst, const Tensor& diff_dst,
                Tensor* diff_src, Context& ctx) override;
  // With a bias: Backward without the backward-data inner product; the
  // column sums of diff_src come from the kernel and its gradients (see
  // dense.cc). Without a bias: false.
  bool BackwardToColumnSums(const Tensor& src, const Tensor& dst,
                            const Tensor& diff_dst, ColumnSums* src_sums,
                            Context& ctx) override;
  // The oneDNN products on the team: none below kParallelMinMacs (one
  // thread) or where the products are the engine's own (split, by rows, on
  // engine/parallel.h's pairs), except a split layer's backward-data
  // product (diff_src); the other layers' products are oneDNN's.
  int64_t TeamDnnlMacs(int64_t rows, bool diff_src) const override;

  int64_t units() const { return options_.units; }
  DtypePolicy dtype_policy() const { return options_.dtype_policy; }
  bool use_bias() const { return options_.use_bias; }
  ActivationKind activation() const { return options_.activation; }

  int kernel_id() const { return kernel_id_; }
  int bias_id() const { return bias_id_; }  // -1 without bias
  // Primitives created so far (inner products, matmuls and activation).
  int64_t primitive_builds() const {
    return cache_.builds() + later_builds_ + activation_.primitive_builds();
  }

 private:
  struct Primitives;
  Primitives& Get(int64_t n, DnnlContext& dnnl);
  void BuildBackward(Primitives& p, int64_t n, DnnlContext& dnnl);
  // Whether the forward products apply the activation (activation_ops_).
  bool activation_fused() const { return activation_ops_.len() > 0; }
  // LayerAttr() with activation_ops_ when the activation is fused.
  dnnl::primitive_attr ForwardAttr() const;
  void BuildTrainForward(Primitives& p, int64_t n, DnnlContext& dnnl);
  // Whether a training step of n rows that SplitInnerProduct does not take
  // runs ForwardRows and BackwardRows instead of oneDNN's primitives.
  static constexpr int64_t kRowsProductMaxRows = 32;
  bool TrainsByRows(int64_t n) const;
  // dst [n, units] = src . kernel (+ bias), without the activation.
  void ForwardRows(const float* src, const float* kernel, const float* bias,
                   int64_t n, float* dst) const;
  // Backward's products after a ForwardRows: the kernel's and bias's
  // gradients from diff_pre (the gradient at the pre-activation, [n,
  // units]) and, if diff_src is not null, diff_src.
  void BackwardRows(const float* src, const float* diff_pre, int64_t n,
                    Context& ctx, Tensor* diff_src);
  void BuildBlocked(Primitives& p, DnnlContext& dnnl);
  // Makes blocked_kernel_ the kernel in p.blocked_fwd's layout, converting
  // unless it already is for the store's current values_generation().
  void UpdateBlockedKernel(const Primitives& p, Context& ctx);
  // Backward; when the training products are split (SplitInnerProduct),
  // row_sums(begin, end, grad, bias) runs on each half's kernel rows right
  // after their gradient `grad` (rows [begin, end)), on the thread that
  // computed them, before any update of those rows. Whether it ran. If
  // UpdatesKernelEarly, the kernel is updated here, block by block
  // (SplitInnerProduct::BackwardWeightsByBlocks), and its gradient never
  // stored.
  bool BackwardProducts(const Tensor& src, const Tensor& dst,
                        const Tensor& diff_dst, Tensor* diff_src, Context& ctx,
                        const SplitInnerProduct::OnBlock& row_sums);
  // Whether this step's backward updates the kernel itself (ctx's early
  // updates, optimizer.h): float32, a trainable kernel without a
  // regularizer (whose gradient term and penalty need the kernel before the
  // update), on a CPU with RowsProduct's fast kernel.
  bool UpdatesKernelEarly(const Context& ctx) const;
  bool bf16() const {
    return options_.dtype_policy == DtypePolicy::kMixedBfloat16;
  }
  // bf16 mode: makes the kernel's slice of the store's bf16 mirror equal
  // bf16(the f32 kernel), converting unless the optimizer's last step
  // already wrote it (ParameterStore::bfloat16_mirror_current).
  void ConvertKernel(Context& ctx);

  DenseOptions options_;
  ActivationOp activation_;
  // The activation as a post-op of every forward product (inner products,
  // matmul, the split's halves), when oneDNN has one; else empty, and
  // Forward applies it in place after the product.
  dnnl::post_ops activation_ops_;
  int64_t fan_in_ = 0;
  int kernel_id_ = -1;
  int bias_id_ = -1;
  PrimitiveCache<Primitives> cache_;
  std::vector<float> transposed_;  // BackwardRows' diff_pre^T, diff_src^T
  int64_t later_builds_ = 0;  // primitives built after the forward's
  Tensor diff_pre_;  // [N, units]: d loss / d (src . kernel + bias)
  // bf16 mode: the kernel's slice of the store's bf16 mirror as a oneDNN
  // {units, fan_in} "io" bf16 memory (not owned), shared by every batch
  // size's primitives.
  dnnl::memory kernel_bf16_;
  // Inference at kBlockedMinRows rows and more: the kernel in the layout
  // oneDNN picked for that inner product (f32 or bf16 by the policy),
  // converted from the f32 kernel at the store's values_generation()
  // blocked_generation_.
  dnnl::memory blocked_kernel_;
  int64_t blocked_generation_ = -1;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_DENSE_H_
