// CategoricalCrossentropy: Keras's categorical_crossentropy on [N, K]
// targets (one-hot or any distribution). Per sample, as tf.keras 2.x
// computes it from probabilities:
//   r = p / sum_j p_j,  q = clip(r, 1e-7, 1 - 1e-7),  loss = -sum_j t_j log q_j
// (rows whose sum is not > 0 are not renormalized), and from the logits z of
// a softmax head: loss = sum_j t_j (logsumexp(z) - z_j) with gradient
// (softmax(z) sum_j t_j - t) / N. Both are averaged over the batch.
//
// Immutable; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_LOSSES_CATEGORICAL_CROSSENTROPY_H_
#define PROFUNDO_ENGINE_LOSSES_CATEGORICAL_CROSSENTROPY_H_

#include "engine/losses/loss.h"

namespace profundo {

class CategoricalCrossentropy final : public Loss {
 public:
  const char* name() const override { return "categorical_crossentropy"; }
  double Compute(const Tensor& y_pred, const Tensor& y_true,
                 Tensor* diff) const override;
  bool FusesWith(ActivationKind head) const override {
    return head == ActivationKind::kSoftmax;
  }
  double ComputeFromLogits(const Tensor& logits, const Tensor& y_true,
                           Tensor* diff) const override;
  double ComputeFromSoftmax(const Tensor& logits, const Tensor& probabilities,
                            const Tensor& y_true,
                            Tensor* diff) const override;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LOSSES_CATEGORICAL_CROSSENTROPY_H_
