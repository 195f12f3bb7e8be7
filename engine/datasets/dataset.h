// Dataset: features and targets in memory. x is [N, per-sample shape...]
// (e.g. [60000, 28, 28]); y is [N] integer class ids stored as floats, or
// [N, K] for one-hot / regression targets.
//
// A plain value type (deep-copied like Tensor); not thread-safe for
// concurrent mutation.
#ifndef PROFUNDO_ENGINE_DATASETS_DATASET_H_
#define PROFUNDO_ENGINE_DATASETS_DATASET_H_

#include <string_view>

#include "absl/status/status.h"
#include "engine/tensor.h"

namespace profundo {

struct Dataset {
  Tensor x;
  Tensor y;

  int64_t size() const { return x.rank() == 0 ? 0 : x.dim(0); }
};

// OK if every value of `t` is finite; otherwise INVALID_ARGUMENT
// "<what> has a non-finite value (nan) at [3, 27]" naming the first one.
absl::Status CheckFinite(const Tensor& t, std::string_view what);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_DATASETS_DATASET_H_
