#include "engine/initializers/random_uniform.h"

#include <algorithm>
#include <cstdint>

namespace profundo {

void RandomUniform::Fill(float* w, const Shape& shape, Rng& rng) const {
  const int64_t n = NumElements(shape);
  const double width = maxval_ - minval_;
  for (int64_t i = 0; i < n; ++i) {
    // Rounding to float may land on maxval; keep the documented bounds.
    const float v = static_cast<float>(minval_ + width * rng.UniformDouble());
    w[i] =
        std::clamp(v, static_cast<float>(minval_), static_cast<float>(maxval_));
  }
}

}  // namespace profundo
