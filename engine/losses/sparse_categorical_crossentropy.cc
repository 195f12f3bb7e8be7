#include "engine/losses/sparse_categorical_crossentropy.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/losses/loss_util.h"

namespace profundo {
namespace {

using loss_internal::ClipProbability;
using loss_internal::InsideClip;
using loss_internal::MeanOver;
using loss_internal::MeanOverRows;

// The class id of sample i, or -1 when the label is not in [0, k). Keras
// casts labels to integers by truncation.
inline int64_t LabelOf(const Tensor& y_true, int64_t i, int64_t k) {
  const float v = y_true.data()[i];
  if (!(v >= 0.0f && v < static_cast<float>(k))) return -1;
  return static_cast<int64_t>(v);
}

// MeanOverRows (loss_util.h) over the rows of [N, K] `pred` with a label
// in [0, K): row(i, pred_row, k, label, diff_row) gives their loss and
// gradient; rows without one add 0 and get a zero gradient.
template <typename RowFn>
double OverLabelledRows(const Tensor& pred, const Tensor& y_true, Tensor* diff,
                        RowFn row) {
  return MeanOverRows(
      pred, y_true, /*sparse=*/true, MeanOver::kSamples, diff,
      [&](int64_t i, const float* x, int64_t k, float* d) {
        const int64_t label = LabelOf(y_true, i, k);
        if (label < 0) {
          if (d != nullptr) std::fill_n(d, k, 0.0f);
          return 0.0;
        }
        return row(i, x, k, label, d);
      });
}

// The one-hot target of `label` as SoftmaxCrossEntropyRow's t(j).
auto OneHot(int64_t label) {
  return [label](int64_t j) { return j == label ? 1.0 : 0.0; };
}

}  // namespace

double SparseCategoricalCrossentropy::Compute(const Tensor& y_pred,
                                              const Tensor& y_true,
                                              Tensor* diff) const {
  return OverLabelledRows(
      y_pred, y_true, diff,
      [&](int64_t, const float* p, int64_t k, int64_t label, float* d) {
        double sum = 0.0;
        for (int64_t j = 0; j < k; ++j) sum += ClipProbability(p[j]);
        const double q_label = ClipProbability(p[label]);
        if (d != nullptr) {
          // d/dq_j [log(sum) - log(q_y)] = 1/sum - [j == y] / q_y.
          for (int64_t j = 0; j < k; ++j) {
            const double g = 1.0 / sum - (j == label ? 1.0 / q_label : 0.0);
            d[j] = InsideClip(p[j]) ? static_cast<float>(g) : 0.0f;
          }
        }
        return std::log(sum) - std::log(q_label);
      });
}

double SparseCategoricalCrossentropy::ComputeFromLogits(const Tensor& logits,
                                                        const Tensor& y_true,
                                                        Tensor* diff) const {
  return OverLabelledRows(
      logits, y_true, diff,
      [&](int64_t, const float* z, int64_t k, int64_t label, float* d) {
        return loss_internal::SoftmaxCrossEntropyRow(z, k, OneHot(label), d);
      });
}

double SparseCategoricalCrossentropy::ComputeFromSoftmax(
    const Tensor& logits, const Tensor& probabilities, const Tensor& y_true,
    Tensor* diff) const {
  return OverLabelledRows(
      logits, y_true, diff,
      [&](int64_t i, const float* z, int64_t k, int64_t label, float* d) {
        return loss_internal::CrossEntropyFromSoftmaxRow(
            z, probabilities.data() + i * k, k, OneHot(label), d);
      });
}

absl::Status SparseCategoricalCrossentropy::ValidateTargets(
    const Tensor& y_true, int64_t num_outputs, std::string_view field) const {
  const bool shape_ok =
      y_true.rank() == 1 || (y_true.rank() == 2 && y_true.dim(1) == 1);
  if (!shape_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field),
        " must be [N] integer class ids for sparse_categorical_crossentropy, "
        "got ",
        ShapeToString(y_true.shape()),
        y_true.rank() == 2
            ? "; for one-hot targets use categorical_crossentropy"
            : ""));
  }
  const float* y = y_true.data();
  for (int64_t i = 0; i < y_true.size(); ++i) {
    const float v = y[i];
    if (v >= 0.0f && v < static_cast<float>(num_outputs) &&
        v == std::floor(v)) {
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), "[", i, "] = ", v,
        " is not a class id: labels must be integers in [0, ", num_outputs,
        ") for a model with ", num_outputs, " outputs"));
  }
  return absl::OkStatus();
}

}  // namespace profundo
