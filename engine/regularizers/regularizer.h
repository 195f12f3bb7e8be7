// Regularizer: Keras's l1(f), l2(f) and l1_l2(l1, l2) on one parameter
// tensor. penalty = l1 * sum|w| + l2 * sum w^2 (no 1/2 factor), added to the
// batch-mean loss (not divided by the batch size). A value type; thread-safe
// for concurrent const use.
#ifndef PROFUNDO_ENGINE_REGULARIZERS_REGULARIZER_H_
#define PROFUNDO_ENGINE_REGULARIZERS_REGULARIZER_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "profundo/v1/model.pb.h"

namespace profundo {

struct Regularizer {
  double l1 = 0.0;
  double l2 = 0.0;

  bool active() const { return l1 != 0.0 || l2 != 0.0; }
  // The penalty for the n weights at w.
  double Penalty(const float* w, int64_t n) const;
  // grad[i] += d penalty / d w[i]  (l1: l1 * sign(w), 0 at 0; l2: 2 l2 w).
  void AddGradient(const float* w, float* grad, int64_t n) const;
};

// From the spec's message; both factors must be finite and >= 0.
// INVALID_ARGUMENT naming "<field>.l1" / "<field>.l2" otherwise.
absl::StatusOr<Regularizer> MakeRegularizer(const v1::Regularizer& spec,
                                            std::string_view field);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_REGULARIZERS_REGULARIZER_H_
