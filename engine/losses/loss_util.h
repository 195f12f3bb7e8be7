// Helpers shared by the loss implementations: target validation, Keras's
// probability clipping and a stable log-sum-exp. Internal to engine/losses/.
//
// Stateless free functions; thread-safe.
#ifndef PROFUNDO_ENGINE_LOSSES_LOSS_UTIL_H_
#define PROFUNDO_ENGINE_LOSSES_LOSS_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "absl/status/status.h"
#include "engine/tensor.h"

namespace profundo {
namespace loss_internal {

// Keras's backend epsilon: probabilities are clipped to [kEps, 1 - kEps].
inline constexpr double kEps = 1e-7;

inline double ClipProbability(double p) {
  return std::clamp(p, kEps, 1.0 - kEps);
}
// Whether the clip passes the gradient through (TensorFlow's clip_by_value
// gradient is 1 inside [min, max], 0 outside).
inline bool InsideClip(double p) { return p >= kEps && p <= 1.0 - kEps; }

inline double QuietNaN() { return std::numeric_limits<double>::quiet_NaN(); }

// Whether y_pred is [N, K] and y_true holds one value per row of it (sparse)
// or K per row (dense). Compute* return NaN otherwise
// (a caller bug: ValidateTargets and the model's shape checks prevent it).
bool ShapesAgree(const Tensor& y_pred, const Tensor& y_true, bool sparse);

// What a loss averages over: samples (N) or elements (N * K).
enum class MeanOver { kSamples, kElements };

// The frame of every loss on pred [N, K]: returns NaN unless ShapesAgree;
// resizes diff (when not null) to pred's shape; calls
//   double row(int64_t i, const float* pred_row, int64_t k, float* diff_row)
// for each row i (diff_row null when diff is), which returns the row's
// summed loss and writes its gradient; then divides the total and the
// gradient by N or N * K.
template <typename RowFn>
double MeanOverRows(const Tensor& pred, const Tensor& y_true, bool sparse,
                    MeanOver over, Tensor* diff, RowFn row) {
  if (!ShapesAgree(pred, y_true, sparse)) return QuietNaN();
  const int64_t n = pred.dim(0), k = pred.dim(1);
  if (diff != nullptr) diff->Resize(pred.shape());
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    total += row(i, pred.data() + i * k, k,
                 diff != nullptr ? diff->data() + i * k : nullptr);
  }
  const int64_t count = over == MeanOver::kSamples ? n : n * k;
  if (count == 0) return 0.0;
  if (diff != nullptr) {
    const float inv = static_cast<float>(1.0 / count);
    for (float& v : diff->values()) v *= inv;
  }
  return total / count;
}

// sum_j t_j (lse - z_j) for one row of logits z[k] whose logsumexp is lse,
// and sum_j t_j into *t_sum.
template <typename TargetFn>
double CrossEntropyTerms(const float* z, int64_t k, double lse, TargetFn t,
                         double* t_sum) {
  double loss = 0.0;
  *t_sum = 0.0;
  for (int64_t j = 0; j < k; ++j) {
    const double tj = t(j);
    loss += tj * (lse - z[j]);
    *t_sum += tj;
  }
  return loss;
}

// Cross-entropy of one row of logits z[k] against target weights t(j):
// returns sum_j t_j (logsumexp(z) - z_j); when d is not null writes
// d loss / d z_j = softmax(z)_j sum_j t_j - t_j.
// logsumexp(z) is computed around the maximum; the softmax reuses its exps,
// exp(z_j - max) / sum, instead of computing exp(z_j - logsumexp) again
// (the double exps were ~2% of a batch-32 training step); rows wider than
// kKeptExps compute the exps past it twice. A non-finite maximum makes the
// log-sum-exp that maximum (the loss then diverges visibly).
template <typename TargetFn>
double SoftmaxCrossEntropyRow(const float* z, int64_t k, TargetFn t, float* d) {
  constexpr int64_t kKeptExps = 64;
  double m = z[0];
  for (int64_t j = 1; j < k; ++j) m = std::max<double>(m, z[j]);
  const bool finite = std::isfinite(m);
  double kept[kKeptExps];
  double sum = 0.0;
  if (finite) {
    for (int64_t j = 0; j < k; ++j) {
      const double e = std::exp(z[j] - m);
      if (j < kKeptExps) kept[j] = e;
      sum += e;
    }
  }
  const double lse = finite ? m + std::log(sum) : m;
  double t_sum = 0.0;
  const double loss = CrossEntropyTerms(z, k, lse, t, &t_sum);
  if (d == nullptr) return loss;
  // softmax_j = exp(z_j - lse): exp(z_j - m) / sum, or exp(z_j - m) itself
  // when m is not finite (lse = m).
  const double scale = finite ? t_sum / sum : t_sum;
  for (int64_t j = 0; j < k; ++j) {
    const double e = finite && j < kKeptExps ? kept[j] : std::exp(z[j] - m);
    d[j] = static_cast<float>(e * scale - t(j));
  }
  return loss;
}

// The same from the row's softmax p[k] (SoftmaxRows, loss.h), computing
// no exp: logsumexp(z) = max_j z_j - log(p at that j) (there p = 1 / the
// sum of exp(z - max)); returns sum_j t_j (logsumexp - z_j) and writes d_j
// = p_j sum_j t_j - t_j. A non-finite maximum takes SoftmaxCrossEntropyRow.
template <typename TargetFn>
double CrossEntropyFromSoftmaxRow(const float* z, const float* p, int64_t k,
                                  TargetFn t, float* d) {
  int64_t top = 0;
  for (int64_t j = 1; j < k; ++j) {
    if (z[j] > z[top]) top = j;
  }
  if (!std::isfinite(z[top])) return SoftmaxCrossEntropyRow(z, k, t, d);
  const double lse = double{z[top]} - std::log(double{p[top]});
  double t_sum = 0.0;
  const double loss = CrossEntropyTerms(z, k, lse, t, &t_sum);
  if (d == nullptr) return loss;
  for (int64_t j = 0; j < k; ++j) {
    d[j] = static_cast<float>(p[j] * t_sum - t(j));
  }
  return loss;
}

// Checks [N, K] targets (or [N] when K == 1): shape and finite values;
// with `unit_interval` also every value in [0, 1]. `loss` names the loss in
// messages.
absl::Status CheckDenseTargets(const Tensor& y_true, int64_t num_outputs,
                               bool unit_interval, std::string_view loss,
                               std::string_view field);

}  // namespace loss_internal
}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LOSSES_LOSS_UTIL_H_
