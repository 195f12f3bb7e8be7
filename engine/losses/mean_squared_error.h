// MeanSquaredError: Keras's mse (mean_squared_error) on [N, K] targets
// ([N] when K == 1): mean over the last axis, then over the batch, i.e.
//   loss = sum (p - t)^2 / (N K),  d loss / d p = 2 (p - t) / (N K).
// It fuses with no head: the model computes it on the outputs.
//
// Immutable; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_LOSSES_MEAN_SQUARED_ERROR_H_
#define PROFUNDO_ENGINE_LOSSES_MEAN_SQUARED_ERROR_H_

#include "engine/losses/loss.h"

namespace profundo {

class MeanSquaredError final : public Loss {
 public:
  const char* name() const override { return "mse"; }
  double Compute(const Tensor& y_pred, const Tensor& y_true,
                 Tensor* diff) const override;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LOSSES_MEAN_SQUARED_ERROR_H_
