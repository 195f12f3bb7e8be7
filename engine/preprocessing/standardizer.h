// Standardizer: per-feature (x - mean) / std with statistics computed on the
// training split, stored with the model (SPEC.md "Input standardization").
// A feature with zero variance gets std 1 (it becomes x - mean).
//
// Apply runs once per batch of every fit, evaluation and prediction (a
// vectorized loop over rows with the inverse std computed once).
//
// Value type; Apply is const and thread-safe.
#ifndef PROFUNDO_ENGINE_PREPROCESSING_STANDARDIZER_H_
#define PROFUNDO_ENGINE_PREPROCESSING_STANDARDIZER_H_

#include <vector>

#include "engine/tensor.h"

namespace profundo {

class Standardizer {
 public:
  bool fitted() const { return !mean_.empty(); }
  // Computes per-feature mean and std over the first `rows` rows of x
  // [N, features...] (rows <= N).
  void Fit(const Tensor& x, int64_t rows);
  // x = (x - mean) / std in place. No-op when not fitted.
  void Apply(Tensor* x) const;

  const std::vector<float>& mean() const { return mean_; }
  const std::vector<float>& std() const { return std_; }
  void Set(std::vector<float> mean, std::vector<float> std);

 private:
  void SetInverseStd();

  std::vector<float> mean_;
  std::vector<float> std_;
  std::vector<float> inv_std_;  // 1 / std_
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_PREPROCESSING_STANDARDIZER_H_
