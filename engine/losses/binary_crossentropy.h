// BinaryCrossentropy: Keras's binary_crossentropy on [N, K] targets in
// [0, 1] ([N] when K == 1), averaged over all N * K elements (Keras: mean
// over the last axis, then over the batch). From probabilities, as tf.keras
// 2.x computes it:
//   q = clip(p, 1e-7, 1 - 1e-7),
//   loss = -(t log(q + 1e-7) + (1 - t) log(1 - q + 1e-7))
// and from the logits x of a sigmoid head, stably:
//   loss = max(x, 0) - x t + log(1 + exp(-|x|)), gradient (sigmoid(x) - t).
//
// Immutable; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_LOSSES_BINARY_CROSSENTROPY_H_
#define PROFUNDO_ENGINE_LOSSES_BINARY_CROSSENTROPY_H_

#include "engine/losses/loss.h"

namespace profundo {

class BinaryCrossentropy final : public Loss {
 public:
  const char* name() const override { return "binary_crossentropy"; }
  double Compute(const Tensor& y_pred, const Tensor& y_true,
                 Tensor* diff) const override;
  bool FusesWith(ActivationKind head) const override {
    return head == ActivationKind::kSigmoid;
  }
  double ComputeFromLogits(const Tensor& logits, const Tensor& y_true,
                           Tensor* diff) const override;
  absl::Status ValidateTargets(const Tensor& y_true, int64_t num_outputs,
                               std::string_view field) const override;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LOSSES_BINARY_CROSSENTROPY_H_
