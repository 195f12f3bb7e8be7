// SparseCategoricalCrossentropy: Keras's sparse_categorical_crossentropy.
// y_true is [N] (or [N, 1]) integer class ids stored as floats; y_pred is
// [N, K]. Per sample, as tf.keras 2.x computes it from probabilities:
//   q = clip(p, 1e-7, 1 - 1e-7),  loss = -log(q_y / sum_j q_j)
// and from the logits z of a softmax head: loss = logsumexp(z) - z_y with
// gradient (softmax(z) - onehot(y)) / N. Both are averaged over the batch.
//
// A label outside [0, K) (not checked, see ValidateTargets) contributes zero
// loss and zero gradient; it is never used as an index.
//
// Immutable; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_LOSSES_SPARSE_CATEGORICAL_CROSSENTROPY_H_
#define PROFUNDO_ENGINE_LOSSES_SPARSE_CATEGORICAL_CROSSENTROPY_H_

#include "engine/losses/loss.h"

namespace profundo {

class SparseCategoricalCrossentropy final : public Loss {
 public:
  const char* name() const override {
    return "sparse_categorical_crossentropy";
  }
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
  bool sparse_labels() const override { return true; }
  absl::Status ValidateTargets(const Tensor& y_true, int64_t num_outputs,
                               std::string_view field) const override;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LOSSES_SPARSE_CATEGORICAL_CROSSENTROPY_H_
