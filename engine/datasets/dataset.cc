#include "engine/datasets/dataset.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace profundo {

namespace {

// True if every value is finite: exponent bits not all ones (no inf, no
// nan), one vectorizable pass without an early exit.
bool AllFinite(const float* v, int64_t n) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, v + i, sizeof bits);
    bad |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

}  // namespace

absl::Status CheckFinite(const Tensor& t, std::string_view what) {
  const float* v = t.data();
  const int64_t n = t.size();
  if (AllFinite(v, n)) return absl::OkStatus();
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
