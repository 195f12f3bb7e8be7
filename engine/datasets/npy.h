// NumPy .npy reader (format versions 1.0, 2.0 and 3.0): a little-endian,
// C-order array of dtype <f4, <f8, |u1, <i4 or <i8 becomes a float Tensor of
// the array's shape (a 0-d array becomes a rank-0 tensor of one value).
//
// INVALID_ARGUMENT on a bad magic, an unsupported version or dtype
// (big-endian included), fortran_order True, a malformed header, truncated
// data, trailing bytes, or a NaN/Inf value (also one made by converting to
// float).
//
// Stateless free function; thread-safe.
//
// Example:
//   PROFUNDO_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes("x.npy"));
//   PROFUNDO_ASSIGN_OR_RETURN(Tensor x, ParseNpy(bytes));
#ifndef PROFUNDO_ENGINE_DATASETS_NPY_H_
#define PROFUNDO_ENGINE_DATASETS_NPY_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "engine/tensor.h"

namespace profundo {

absl::StatusOr<Tensor> ParseNpy(std::string_view bytes);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_DATASETS_NPY_H_
