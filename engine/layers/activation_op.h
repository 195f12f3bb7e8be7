// ActivationOp: forward and backward of one activation function (Keras
// names, engine/activations/activation.h) over a row-major [rows, cols]
// buffer, softmax along cols. Used by Dense (after its inner product) and by
// the activation layers (Activation, LeakyReLU, ELU), so each activation is
// written once.
//
// Forward: oneDNN eltwise (logistic, tanh, relu, leaky relu, elu; for SELU,
// which oneDNN 2.6 lacks, elu(alpha_selu) then linear(scale_selu)) and
// softmax_forward. Backward: softmax_backward; every other kind is a
// hand-written vectorized loop of f'(x) written in terms of dst (the
// *_use_dst_for_bwd formulas: no exp, no oneDNN call, no parallel region for
// small batches). Every backward needs only the forward's dst, never its
// src, so a caller may run the forward in place and keep nothing else.
//
// Owns its primitives (one set per [rows, cols], see primitive_cache.h).
// Not thread-safe: used by the one thread that runs its layer.
//
// Example:
//   ActivationOp op(ActivationKind::kElu, 1.0);
//   op.Forward(z, y, n, units, ctx.dnnl);            // y = elu(z); z == y ok
//   op.Backward(y, dy, dz, n, units, ctx.dnnl);      // dz = dy * elu'(z)
#ifndef PROFUNDO_ENGINE_LAYERS_ACTIVATION_OP_H_
#define PROFUNDO_ENGINE_LAYERS_ACTIVATION_OP_H_

#include <cstdint>
#include <utility>

#include "engine/activations/activation.h"
#include "engine/context.h"
#include "engine/layers/primitive_cache.h"

namespace profundo {

class ActivationOp {
 public:
  // `alpha` is the negative slope of kLeakyRelu or the alpha of kElu; both
  // must be >= 0 (the sign of dst then tells the side of the kink). Ignored
  // for other kinds.
  ActivationOp(ActivationKind kind, double alpha);
  // Keras's defaults: leaky_relu 0.3, elu 1.0.
  explicit ActivationOp(ActivationKind kind);
  ~ActivationOp();
  ActivationOp(const ActivationOp&) = delete;
  ActivationOp& operator=(const ActivationOp&) = delete;

  ActivationKind kind() const { return kind_; }
  double alpha() const { return alpha_; }
  // The alpha a kind uses when the spec gives none.
  static double DefaultAlpha(ActivationKind kind);

  // Appends this activation to `ops` as an eltwise post-op (so a producer
  // such as Dense's inner product applies it on its output) and returns
  // true, for the kinds that are one oneDNN eltwise (sigmoid, tanh, relu,
  // leaky_relu, elu); returns false, changing nothing, for the others.
  // Backward then works on that fused output as after Forward.
  bool AppendPostOp(dnnl::post_ops* ops) const;

  // dst = f(src) for [rows, cols] buffers. src may equal dst (in place).
  void Forward(const float* src, float* dst, int64_t rows, int64_t cols,
               DnnlContext& dnnl);
  // diff_src = diff_dst * f'(src), computed from the forward's dst.
  // diff_src may equal diff_dst.
  void Backward(const float* dst, const float* diff_dst, float* diff_src,
                int64_t rows, int64_t cols, DnnlContext& dnnl);
  // The same for the n elements of a non-softmax kind, written as bfloat16
  // bits (round to nearest even) for a bf16 consumer (Dense under
  // mixed_bfloat16).
  void BackwardToBf16(const float* dst, const float* diff_dst,
                      uint16_t* diff_src_bf16, int64_t n) const;

  // Primitives created so far (forward and backward), for tests of reuse.
  int64_t primitive_builds() const { return cache_.builds() + bwd_builds_; }

 private:
  struct Primitives;
  Primitives& Get(int64_t rows, int64_t cols, DnnlContext& dnnl);
  void BuildBackward(Primitives& p, int64_t rows, int64_t cols,
                     DnnlContext& dnnl);

  ActivationKind kind_;
  double alpha_;
  PrimitiveCache<Primitives, std::pair<int64_t, int64_t>> cache_;
  int64_t bwd_builds_ = 0;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_ACTIVATION_OP_H_
