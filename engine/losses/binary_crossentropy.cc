#include "engine/losses/binary_crossentropy.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/losses/loss_util.h"

namespace profundo {

using loss_internal::ClipProbability;
using loss_internal::InsideClip;
using loss_internal::kEps;
using loss_internal::MeanOver;
using loss_internal::MeanOverRows;

double BinaryCrossentropy::Compute(const Tensor& y_pred, const Tensor& y_true,
                                   Tensor* diff) const {
  return MeanOverRows(
      y_pred, y_true, /*sparse=*/false, MeanOver::kElements, diff,
      [&](int64_t i, const float* p, int64_t k, float* d) {
        const float* t = y_true.data() + i * k;
        double loss = 0.0;
        for (int64_t j = 0; j < k; ++j) {
          const double q = ClipProbability(p[j]);
          loss -= t[j] * std::log(q + kEps) +
                  (1.0 - t[j]) * std::log(1.0 - q + kEps);
          if (d != nullptr) {
            const double g =
                (1.0 - t[j]) / (1.0 - q + kEps) - t[j] / (q + kEps);
            d[j] = InsideClip(p[j]) ? static_cast<float>(g) : 0.0f;
          }
        }
        return loss;
      });
}

double BinaryCrossentropy::ComputeFromLogits(const Tensor& logits,
                                             const Tensor& y_true,
                                             Tensor* diff) const {
  return MeanOverRows(
      logits, y_true, /*sparse=*/false, MeanOver::kElements, diff,
      [&](int64_t i, const float* x, int64_t k, float* d) {
        const float* t = y_true.data() + i * k;
        double loss = 0.0;
        for (int64_t j = 0; j < k; ++j) {
          const double xj = x[j];
          const double e = std::exp(-std::fabs(xj));  // in (0, 1]
          loss += std::max(xj, 0.0) - xj * t[j] + std::log1p(e);
          if (d != nullptr) {
            const double sigmoid = xj >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            d[j] = static_cast<float>(sigmoid - t[j]);
          }
        }
        return loss;
      });
}

absl::Status BinaryCrossentropy::ValidateTargets(const Tensor& y_true,
                                                 int64_t num_outputs,
                                                 std::string_view field) const {
  return loss_internal::CheckDenseTargets(y_true, num_outputs,
                                          /*unit_interval=*/true, name(),
                                          field);
}

}  // namespace profundo
