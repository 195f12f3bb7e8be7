#include "engine/losses/loss.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/losses/binary_crossentropy.h"
#include "engine/losses/categorical_crossentropy.h"
#include "engine/losses/loss_util.h"
#include "engine/losses/mean_squared_error.h"
#include "engine/losses/sparse_categorical_crossentropy.h"

namespace profundo {

double Loss::ComputeFromLogits(const Tensor& logits, const Tensor& y_true,
                               Tensor* diff) const {
  // Only losses that fuse with a head override this; the model never calls
  // it otherwise. A NaN loss makes the misuse visible in the history.
  if (diff != nullptr) {
    diff->Resize(logits.shape());
    diff->Fill(0.0f);
  }
  return loss_internal::QuietNaN();
}

void SoftmaxRows(const Tensor& logits, Tensor* probabilities) {
  probabilities->Resize(logits.shape());
  const int64_t n = logits.dim(0), k = logits.dim(1);
  for (int64_t r = 0; r < n; ++r) {
    const float* z = logits.data() + r * k;
    float* p = probabilities->data() + r * k;
    const float mx = *std::max_element(z, z + k);
    float sum = 0;
    for (int64_t j = 0; j < k; ++j) sum += (p[j] = std::exp(z[j] - mx));
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < k; ++j) p[j] *= inv;
  }
}

double Loss::ComputeFromSoftmax(const Tensor& logits,
                                const Tensor& probabilities,
                                const Tensor& y_true, Tensor* diff) const {
  return ComputeFromLogits(logits, y_true, diff);
}

absl::Status Loss::ValidateTargets(const Tensor& y_true, int64_t num_outputs,
                                   std::string_view field) const {
  return loss_internal::CheckDenseTargets(y_true, num_outputs,
                                          /*unit_interval=*/false, name(),
                                          field);
}

absl::StatusOr<std::unique_ptr<Loss>> MakeLoss(std::string_view name,
                                               std::string_view field) {
  if (name == "sparse_categorical_crossentropy" ||
      name == "SparseCategoricalCrossentropy") {
    return std::make_unique<SparseCategoricalCrossentropy>();
  }
  if (name == "categorical_crossentropy" || name == "CategoricalCrossentropy") {
    return std::make_unique<CategoricalCrossentropy>();
  }
  if (name == "binary_crossentropy" || name == "BinaryCrossentropy") {
    return std::make_unique<BinaryCrossentropy>();
  }
  if (name == "mse" || name == "mean_squared_error" ||
      name == "MeanSquaredError") {
    return std::make_unique<MeanSquaredError>();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " '", std::string(name),
                   "' is not a known loss; expected one of "
                   "sparse_categorical_crossentropy, categorical_crossentropy, "
                   "binary_crossentropy, mse"));
}

}  // namespace profundo
