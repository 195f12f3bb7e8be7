// Packing and unpacking of v1::FloatTensor, the dense float32 tensor that
// carries prediction inputs and outputs.
//
// Pack writes the compact `data` form (little-endian float32, 4 bytes per
// element) whatever the host's byte order; Unpack accepts either form
// (`values` or `data`) and checks the element count against the shape.
//
// Stateless; thread-safe.
//
// Example:
//   std::vector<float> rows = ...;  // 3 rows of 784 features
//   v1::FloatTensor t = PackFloatTensor(rows, {3, 784});
//   absl::StatusOr<std::vector<float>> back = UnpackFloatTensor(t);
#ifndef PROFUNDO_CLIENT_FLOAT_TENSOR_H_
#define PROFUNDO_CLIENT_FLOAT_TENSOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "profundo/v1/service.pb.h"

namespace profundo {

// `values` must hold the product of `shape` elements (checked by Unpack and
// by the server, not here).
v1::FloatTensor PackFloatTensor(absl::Span<const float> values,
                                const std::vector<int64_t>& shape);

// The elements in row-major order. INVALID_ARGUMENT if both forms are set,
// `data` is not a multiple of 4 bytes, or the element count differs from
// the product of the shape.
absl::StatusOr<std::vector<float>> UnpackFloatTensor(const v1::FloatTensor& t);

// Appends the rows of `part` to `*acc` (dimension 0 grows). An empty `acc`
// (no shape) becomes a copy of `part`. INVALID_ARGUMENT if the per-row
// shapes differ or either tensor is malformed.
absl::Status AppendRows(const v1::FloatTensor& part, v1::FloatTensor* acc);

// Returns `t` with its elements in the readable `values` form (for JSON
// output); unchanged if it cannot be unpacked.
v1::FloatTensor ToValuesForm(const v1::FloatTensor& t);

}  // namespace profundo

#endif  // PROFUNDO_CLIENT_FLOAT_TENSOR_H_
