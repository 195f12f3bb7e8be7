#include "engine/initializers/constant.h"

#include <algorithm>

namespace profundo {

void Constant::Fill(float* w, const Shape& shape, Rng& rng) const {
  std::fill(w, w + NumElements(shape), static_cast<float>(value_));
}

}  // namespace profundo
