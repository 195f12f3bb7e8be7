#include "engine/constraints/max_norm.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace profundo {
namespace {

constexpr double kEpsilon = 1e-7;  // Keras's backend epsilon

// The factor clip(norm, 0, max_value) / (1e-7 + norm), norm = sqrt(sum_sq).
inline double Factor(double sum_sq, double max_value) {
  const double norm = std::sqrt(sum_sq);
  return std::clamp(norm, 0.0, max_value) / (kEpsilon + norm);
}

}  // namespace

void MaxNorm::Apply(float* w, const std::vector<int64_t>& shape) const {
  const int rank = static_cast<int>(shape.size());
  if (rank <= 1) {
    const int64_t n = rank == 0 ? 1 : shape[0];
    double sum_sq = 0.0;
    for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(w[i]) * w[i];
    const double f = Factor(sum_sq, max_value);
    for (int64_t i = 0; i < n; ++i) w[i] = static_cast<float>(w[i] * f);
    return;
  }
  const int a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) return;
  // View the tensor as [outer, d, inner]; one norm per (outer, inner) pair.
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < a; ++i) outer *= shape[i];
  for (int i = a + 1; i < rank; ++i) inner *= shape[i];
  const int64_t d = shape[a];
  std::vector<double> sums(inner);
  for (int64_t o = 0; o < outer; ++o) {
    float* block = w + o * d * inner;
    std::fill(sums.begin(), sums.end(), 0.0);
    for (int64_t k = 0; k < d; ++k) {
      const float* row = block + k * inner;
      for (int64_t i = 0; i < inner; ++i) {
        sums[i] += static_cast<double>(row[i]) * row[i];
      }
    }
    for (int64_t i = 0; i < inner; ++i) sums[i] = Factor(sums[i], max_value);
    for (int64_t k = 0; k < d; ++k) {
      float* row = block + k * inner;
      for (int64_t i = 0; i < inner; ++i) {
        row[i] = static_cast<float>(row[i] * sums[i]);
      }
    }
  }
}

absl::StatusOr<MaxNorm> MakeMaxNorm(const v1::MaxNorm& spec,
                                    const std::vector<int64_t>& shape,
                                    std::string_view field) {
  MaxNorm c;
  if (spec.has_max_value()) c.max_value = spec.max_value();
  if (!(std::isfinite(c.max_value) && c.max_value >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field),
                     ".max_value must be finite and >= 0, got ", c.max_value));
  }
  const int rank = std::max<int>(1, static_cast<int>(shape.size()));
  if (spec.axis() < -rank || spec.axis() >= rank) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), ".axis must be in [", -rank, ", ", rank,
        ") for a parameter of rank ", rank, ", got ", spec.axis()));
  }
  c.axis = spec.axis() < 0 ? spec.axis() + rank : spec.axis();
  return c;
}

}  // namespace profundo
