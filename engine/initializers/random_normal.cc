#include "engine/initializers/random_normal.h"

#include <cstdint>

namespace profundo {

void RandomNormal::Fill(float* w, const Shape& shape, Rng& rng) const {
  const int64_t n = NumElements(shape);
  for (int64_t i = 0; i < n; ++i) {
    w[i] = static_cast<float>(mean_ + stddev_ * rng.Normal());
  }
}

}  // namespace profundo
