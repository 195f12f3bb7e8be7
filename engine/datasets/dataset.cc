#include "engine/datasets/dataset.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace profundo {

absl::Status CheckFinite(const Tensor& t, std::string_view what) {
  const float* v = t.data();
  const int64_t n = t.size();
  for (int64_t i = 0; i < n; ++i) {
    if (std::isfinite(v[i])) continue;
    // Row-major multi-index of element i.
    Shape index(t.shape().size());
    int64_t rest = i;
    for (int d = t.rank() - 1; d >= 0; --d) {
      const int64_t dim = t.dim(d);
      index[d] = dim == 0 ? 0 : rest % dim;
      rest = dim == 0 ? 0 : rest / dim;
    }
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), " has a non-finite value (",
                     std::isnan(v[i]) ? "nan" : (v[i] > 0 ? "inf" : "-inf"),
                     ") at ", ShapeToString(index)));
  }
  return absl::OkStatus();
}

}  // namespace profundo
