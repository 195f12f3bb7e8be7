#include "engine/preprocessing/standardizer.h"

#include <algorithm>
#include <cmath>

#include "engine/parallel.h"

namespace profundo {

namespace {

// row = (row - mean) * inv_std for each of n rows of f features.
PROFUNDO_TARGET_CLONES
void StandardizeRows(float* x, int64_t n, int64_t f, const float* mean,
                     const float* inv_std) {
  for (int64_t i = 0; i < n; ++i) {
    float* row = x + i * f;
    PROFUNDO_SIMD
    for (int64_t j = 0; j < f; ++j) row[j] = (row[j] - mean[j]) * inv_std[j];
  }
}

}  // namespace

void Standardizer::Fit(const Tensor& x, int64_t rows) {
  const int64_t n = x.rank() == 0 ? 0 : std::min(rows, x.dim(0));
  const int64_t f = x.row_size();
  std::vector<double> sum(f, 0.0), sum2(f, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const float* row = x.data() + i * f;
    for (int64_t j = 0; j < f; ++j) sum[j] += row[j];
  }
  mean_.assign(f, 0.0f);
  for (int64_t j = 0; j < f; ++j) mean_[j] = n ? sum[j] / n : 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = x.data() + i * f;
    for (int64_t j = 0; j < f; ++j) {
      const double d = row[j] - sum[j] / n;
      sum2[j] += d * d;
    }
  }
  std_.assign(f, 1.0f);
  for (int64_t j = 0; j < f; ++j) {
    const double s = n ? std::sqrt(sum2[j] / n) : 0.0;
    std_[j] = s > 1e-7 ? static_cast<float>(s) : 1.0f;
  }
  SetInverseStd();
}

void Standardizer::SetInverseStd() {
  inv_std_.resize(std_.size());
  for (size_t j = 0; j < std_.size(); ++j) inv_std_[j] = 1.0f / std_[j];
}

void Standardizer::Apply(Tensor* x) const {
  if (!fitted()) return;
  const int64_t f = x->row_size();
  StandardizeRows(x->data(), x->size() / f, f, mean_.data(), inv_std_.data());
}

void Standardizer::Set(std::vector<float> mean, std::vector<float> std) {
  mean_ = std::move(mean);
  std_ = std::move(std);
  SetInverseStd();
}

}  // namespace profundo
