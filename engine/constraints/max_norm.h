// MaxNorm: Keras's max_norm(max_value=2, axis=0) weight constraint, applied
// after every optimizer update:
//   w *= clip(norm, 0, max_value) / (1e-7 + norm)
// with the L2 norm taken over `axis` of the parameter's shape. For a Dense
// kernel [fan_in, units], axis 0 is each unit's incoming weights (a column).
// For a 1-D tensor (bias) the norm is over the whole vector. A negative
// axis counts from the end. A value type; thread-safe for concurrent const
// use.
//
// Example:
//   auto c = MakeMaxNorm(spec.kernel_constraint().max_norm(), {784, 300},
//                        "layers[1].dense.kernel_constraint.max_norm");
//   c->Apply(w, {784, 300});
#ifndef PROFUNDO_ENGINE_CONSTRAINTS_MAX_NORM_H_
#define PROFUNDO_ENGINE_CONSTRAINTS_MAX_NORM_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "profundo/v1/model.pb.h"

namespace profundo {

struct MaxNorm {
  double max_value = 2.0;
  int axis = 0;

  // Applies the constraint in place to a row-major tensor of `shape`.
  // An axis outside [-rank, rank) of a tensor of rank >= 2 leaves w
  // unchanged (MakeMaxNorm rejects it).
  void Apply(float* w, const std::vector<int64_t>& shape) const;
};

// From the spec's message (max_value defaults to 2) for a parameter of
// `shape`: max_value must be finite and >= 0, axis in [-rank, rank) (rank 1
// for a 1-D tensor). INVALID_ARGUMENT naming "<field>.max_value" /
// "<field>.axis" otherwise.
absl::StatusOr<MaxNorm> MakeMaxNorm(const v1::MaxNorm& spec,
                                    const std::vector<int64_t>& shape,
                                    std::string_view field);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_CONSTRAINTS_MAX_NORM_H_
