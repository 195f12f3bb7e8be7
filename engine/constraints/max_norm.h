// MaxNorm: Keras's max_norm(max_value=2, axis=0) weight constraint, applied
// after every optimizer update:
//   w *= clip(norm, 0, max_value) / (1e-7 + norm)
// with the L2 norm taken over `axis` of the parameter's shape. For a Dense
// kernel [fan_in, units], axis 0 is each unit's incoming weights (a column).
// For a 1-D tensor (bias) the norm is over the whole vector. A value type.
#ifndef PROFUNDO_ENGINE_CONSTRAINTS_MAX_NORM_H_
#define PROFUNDO_ENGINE_CONSTRAINTS_MAX_NORM_H_

#include <cstdint>
#include <vector>

namespace profundo {

struct MaxNorm {
  double max_value = 2.0;
  int axis = 0;

  // Applies the constraint in place to a row-major tensor of `shape`.
  void Apply(float* w, const std::vector<int64_t>& shape) const;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_CONSTRAINTS_MAX_NORM_H_
