#include "engine/regularizers/regularizer.h"

#include <cmath>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace profundo {

double Regularizer::Penalty(const float* w, int64_t n) const {
  double sum_abs = 0.0;
  double sum_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = w[i];
    sum_abs += std::fabs(v);
    sum_sq += v * v;
  }
  return l1 * sum_abs + l2 * sum_sq;
}

void Regularizer::AddGradient(const float* w, float* grad, int64_t n) const {
  const float f1 = static_cast<float>(l1);
  const float f2 = static_cast<float>(2.0 * l2);
  for (int64_t i = 0; i < n; ++i) {
    const float sign = static_cast<float>((w[i] > 0.0f) - (w[i] < 0.0f));
    grad[i] += f1 * sign + f2 * w[i];
  }
}

absl::StatusOr<Regularizer> MakeRegularizer(const v1::Regularizer& spec,
                                            std::string_view field) {
  for (const auto& [name, value] :
       {std::pair<const char*, double>{"l1", spec.l1()}, {"l2", spec.l2()}}) {
    if (!(std::isfinite(value) && value >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(field), ".", name,
                       " must be finite and >= 0, got ", value));
    }
  }
  Regularizer r;
  r.l1 = spec.l1();
  r.l2 = spec.l2();
  return r;
}

}  // namespace profundo
