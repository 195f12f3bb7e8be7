#include "engine/losses/mean_squared_error.h"

#include <cstdint>

#include "engine/losses/loss_util.h"

namespace profundo {

double MeanSquaredError::Compute(const Tensor& y_pred, const Tensor& y_true,
                                 Tensor* diff) const {
  return loss_internal::MeanOverRows(
      y_pred, y_true, /*sparse=*/false, loss_internal::MeanOver::kElements,
      diff, [&](int64_t i, const float* p, int64_t k, float* d) {
        const float* t = y_true.data() + i * k;
        double loss = 0.0;
        for (int64_t j = 0; j < k; ++j) {
          const double e = static_cast<double>(p[j]) - t[j];
          loss += e * e;
          if (d != nullptr) d[j] = static_cast<float>(2.0 * e);
        }
        return loss;
      });
}

}  // namespace profundo
