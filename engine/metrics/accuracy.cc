#include "engine/metrics/accuracy.h"

namespace profundo {
namespace {

// Index of the first maximum of k floats (tf.argmax's tie rule); NaNs never
// win against an earlier value.
inline int64_t ArgMax(const float* v, int64_t k) {
  int64_t best = 0;
  for (int64_t j = 1; j < k; ++j) {
    if (v[j] > v[best]) best = j;
  }
  return best;
}

}  // namespace

int64_t CountCorrect(AccuracyKind kind, const Tensor& y_pred,
                     const Tensor& y_true) {
  if (y_pred.rank() == 0 || y_pred.size() == 0) return 0;
  const int64_t n = y_pred.dim(0);
  const int64_t k = y_pred.row_size();
  const float* p = y_pred.data();
  const float* t = y_true.data();
  int64_t correct = 0;
  switch (kind) {
    case AccuracyKind::kSparseCategorical:
      if (y_true.size() != n) return 0;
      for (int64_t i = 0; i < n; ++i) {
        // Keras compares the label, as a float, with the argmax.
        correct += static_cast<float>(ArgMax(p + i * k, k)) == t[i];
      }
      break;
    case AccuracyKind::kCategorical:
      if (y_true.size() != n * k) return 0;
      for (int64_t i = 0; i < n; ++i) {
        correct += ArgMax(p + i * k, k) == ArgMax(t + i * k, k);
      }
      break;
    case AccuracyKind::kBinary:
      if (y_true.size() != n * k) return 0;
      for (int64_t i = 0; i < n * k; ++i) {
        correct += (p[i] > 0.5f ? 1.0f : 0.0f) == t[i];
      }
      break;
  }
  return correct;
}

int64_t CountedItems(AccuracyKind kind, const Tensor& y_pred) {
  if (y_pred.rank() == 0) return 0;
  return kind == AccuracyKind::kBinary ? y_pred.size() : y_pred.dim(0);
}

}  // namespace profundo
