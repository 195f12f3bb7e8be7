#include "engine/losses/categorical_crossentropy.h"

#include <cmath>
#include <cstdint>

#include "engine/losses/loss_util.h"

namespace profundo {

using loss_internal::ClipProbability;
using loss_internal::InsideClip;
using loss_internal::MeanOver;
using loss_internal::MeanOverRows;

double CategoricalCrossentropy::Compute(const Tensor& y_pred,
                                        const Tensor& y_true,
                                        Tensor* diff) const {
  return MeanOverRows(
      y_pred, y_true, /*sparse=*/false, MeanOver::kSamples, diff,
      [&](int64_t i, const float* p, int64_t k, float* d) {
        const float* t = y_true.data() + i * k;
        double sum = 0.0;
        for (int64_t j = 0; j < k; ++j) sum += p[j];
        const bool normalize = sum > 0.0 && std::isfinite(sum);
        const double scale = normalize ? 1.0 / sum : 1.0;
        double loss = 0.0;
        double dot = 0.0;  // sum_j g_j r_j, g_j = d loss / d r_j
        for (int64_t j = 0; j < k; ++j) {
          const double r = p[j] * scale;
          const double q = ClipProbability(r);
          loss -= t[j] * std::log(q);
          if (d != nullptr) {
            const double g = InsideClip(r) ? -t[j] / q : 0.0;
            d[j] = static_cast<float>(g);
            dot += g * r;
          }
        }
        if (d != nullptr && normalize) {
          // r_j = p_j / s: d loss / d p_m = (g_m - sum_j g_j r_j) / s.
          for (int64_t j = 0; j < k; ++j) {
            d[j] = static_cast<float>((d[j] - dot) * scale);
          }
        }
        return loss;
      });
}

double CategoricalCrossentropy::ComputeFromLogits(const Tensor& logits,
                                                  const Tensor& y_true,
                                                  Tensor* diff) const {
  return MeanOverRows(
      logits, y_true, /*sparse=*/false, MeanOver::kSamples, diff,
      [&](int64_t i, const float* z, int64_t k, float* d) {
        const float* t = y_true.data() + i * k;
        return loss_internal::SoftmaxCrossEntropyRow(
            z, k, [t](int64_t j) { return static_cast<double>(t[j]); }, d);
      });
}

double CategoricalCrossentropy::ComputeFromSoftmax(
    const Tensor& logits, const Tensor& probabilities, const Tensor& y_true,
    Tensor* diff) const {
  return MeanOverRows(
      logits, y_true, /*sparse=*/false, MeanOver::kSamples, diff,
      [&](int64_t i, const float* z, int64_t k, float* d) {
        const float* t = y_true.data() + i * k;
        return loss_internal::CrossEntropyFromSoftmaxRow(
            z, probabilities.data() + i * k, k,
            [t](int64_t j) { return static_cast<double>(t[j]); }, d);
      });
}

}  // namespace profundo
