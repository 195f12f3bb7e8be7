// Loss: Keras's losses, batch-mean. y_true is [N] (integer class ids stored
// as floats) for sparse_categorical_crossentropy and [N, K] otherwise.
//
// Heads: when the last layer's activation is softmax (categorical losses) or
// sigmoid (binary_crossentropy), the Model runs that layer linear and calls
// ComputeFromLogits, which is numerically stable (log-sum-exp) and gives the
// simple gradient (p - y) / N; with a softmax head, ComputeFromSoftmax takes
// the probabilities the head computed in the forward pass (one exp per
// logit and step instead of two). Compute() on probabilities clips them to
// [1e-7, 1 - 1e-7] as Keras does.
//
// Immutable; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_LOSSES_LOSS_H_
#define PROFUNDO_ENGINE_LOSSES_LOSS_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/activations/activation.h"
#include "engine/tensor.h"

namespace profundo {

class Loss {
 public:
  virtual ~Loss() = default;
  virtual const char* name() const = 0;

  // Mean loss of y_pred [N, K] against y_true. When diff is not null it is
  // resized to y_pred's shape and receives d(mean loss) / d y_pred.
  virtual double Compute(const Tensor& y_pred, const Tensor& y_true,
                         Tensor* diff) const = 0;

  // Whether this loss can be computed from the pre-activation of `head`.
  virtual bool FusesWith(ActivationKind head) const { return false; }
  // Mean loss from logits [N, K]; diff (if not null) gets d loss / d logits.
  // Only when FusesWith(head) for the model's head.
  virtual double ComputeFromLogits(const Tensor& logits, const Tensor& y_true,
                                   Tensor* diff) const;
  // The same for a softmax head whose output the caller already computed,
  // probabilities [N, K] = SoftmaxRows(logits), so that no exp is computed
  // again: each row's logsumexp is its max logit - log(its largest
  // probability). The categorical losses override it; the default calls
  // ComputeFromLogits.
  virtual double ComputeFromSoftmax(const Tensor& logits,
                                    const Tensor& probabilities,
                                    const Tensor& y_true, Tensor* diff) const;

  // Whether y_true is [N] integer labels (sparse) or [N, K].
  virtual bool sparse_labels() const { return false; }

  // Checks targets before fit/evaluate, for a model with `num_outputs` (K)
  // outputs: the shape this loss expects (sparse: [N] or [N, 1]; otherwise
  // [N, K], or [N] when K == 1), finite values, and for sparse labels integer
  // class ids in [0, K) (binary: values in [0, 1]). INVALID_ARGUMENT naming
  // `field` and the first offending sample. Compute* never read out of
  // bounds on unchecked targets, but their value is then unspecified.
  // The default checks dense [N, K] targets with finite values.
  virtual absl::Status ValidateTargets(const Tensor& y_true,
                                       int64_t num_outputs,
                                       std::string_view field) const;
};

// A softmax head's output: probabilities [N, K] = softmax of each row of
// logits [N, K] in float, exp(z - max) times 1 / the sum of those exps (the
// row's largest probability is then that reciprocal).
void SoftmaxRows(const Tensor& logits, Tensor* probabilities);

// "sparse_categorical_crossentropy", "categorical_crossentropy",
// "binary_crossentropy", "mse" (also "mean_squared_error").
// INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::unique_ptr<Loss>> MakeLoss(std::string_view name,
                                               std::string_view field);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LOSSES_LOSS_H_
