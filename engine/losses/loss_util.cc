#include "engine/losses/loss_util.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace profundo {
namespace loss_internal {

absl::Status CheckDenseTargets(const Tensor& y_true, int64_t num_outputs,
                               bool unit_interval, std::string_view loss,
                               std::string_view field) {
  const bool shape_ok = (y_true.rank() == 2 && y_true.dim(1) == num_outputs) ||
                        (y_true.rank() == 1 && num_outputs == 1);
  if (!shape_ok) {
    std::string hint;
    if (y_true.rank() == 1 && loss == "categorical_crossentropy") {
      hint = "; for integer class ids use sparse_categorical_crossentropy";
    }
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), " must be [N, ", num_outputs, "] for ",
                     std::string(loss), " (the model has ", num_outputs,
                     " outputs), got ", ShapeToString(y_true.shape()), hint));
  }
  const int64_t k = num_outputs;
  const float* y = y_true.data();
  for (int64_t i = 0; i < y_true.size(); ++i) {
    const bool bad =
        !std::isfinite(y[i]) || (unit_interval && (y[i] < 0.0f || y[i] > 1.0f));
    if (!bad) continue;
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), "[", i / k, ", ", i % k, "] = ", y[i],
        std::isfinite(y[i]) ? " is not in [0, 1]" : " is not finite", " (",
        std::string(loss), ")"));
  }
  return absl::OkStatus();
}

bool ShapesAgree(const Tensor& y_pred, const Tensor& y_true, bool sparse) {
  return y_pred.rank() == 2 &&
         y_true.size() == (sparse ? y_pred.dim(0) : y_pred.size());
}

}  // namespace loss_internal
}  // namespace profundo
