// Keras's "accuracy" metric, resolved by the loss as Keras does:
// sparse labels: argmax(y_pred) == y_true; one-hot: argmax == argmax;
// binary (K == 1 with binary_crossentropy): (y_pred > 0.5) == y_true.
// Ties in argmax go to the first index, as tf.argmax. Targets whose size
// does not match y_pred count no correct prediction (never read out of
// bounds).
//
// Stateless free functions; thread-safe.
#ifndef PROFUNDO_ENGINE_METRICS_ACCURACY_H_
#define PROFUNDO_ENGINE_METRICS_ACCURACY_H_

#include <cstdint>

#include "engine/tensor.h"

namespace profundo {

enum class AccuracyKind { kSparseCategorical, kCategorical, kBinary };

// Number of correct predictions in the batch (for binary with K > 1 outputs:
// correct elements). Divide by CountedItems to get a rate.
int64_t CountCorrect(AccuracyKind kind, const Tensor& y_pred,
                     const Tensor& y_true);
// What CountCorrect counts out of: N, or N * K for binary.
int64_t CountedItems(AccuracyKind kind, const Tensor& y_pred);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_METRICS_ACCURACY_H_
