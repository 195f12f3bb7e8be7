// Dataset: features and targets in memory. x is [N, per-sample shape...]
// (e.g. [60000, 28, 28]); y is [N] integer class ids stored as floats, or
// [N, K] for one-hot / regression targets.
#ifndef PROFUNDO_ENGINE_DATASETS_DATASET_H_
#define PROFUNDO_ENGINE_DATASETS_DATASET_H_

#include "engine/tensor.h"

namespace profundo {

struct Dataset {
  Tensor x;
  Tensor y;

  int64_t size() const { return x.rank() == 0 ? 0 : x.dim(0); }
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_DATASETS_DATASET_H_
