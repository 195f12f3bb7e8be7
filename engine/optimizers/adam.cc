#include "engine/optimizers/adam.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/parallel.h"

namespace profundo {

Adam::Adam(OptimizerOptions options, double beta_1, double beta_2,
           double epsilon, bool amsgrad)
    : Optimizer(std::move(options)),
      beta_1_(beta_1),
      beta_2_(beta_2),
      epsilon_(epsilon),
      amsgrad_(amsgrad) {}

std::vector<std::string> Adam::SlotNames() const {
  if (amsgrad_) return {"m", "v", "vhat"};
  return {"m", "v"};
}

void Adam::Update(float* w, const float* g, float* const* slot, int64_t n,
                  double lr, int64_t t) {
  const double td = static_cast<double>(t);
  const float alpha =
      static_cast<float>(lr * std::sqrt(1.0 - std::pow(beta_2_, td)) /
                         (1.0 - std::pow(beta_1_, td)));
  const float one_minus_b1 = static_cast<float>(1.0 - beta_1_);
  const float one_minus_b2 = static_cast<float>(1.0 - beta_2_);
  const float eps = static_cast<float>(epsilon_);
  float* m = slot[0];
  float* v = slot[1];
  if (amsgrad_) {
    float* vhat = slot[2];
    PROFUNDO_PARALLEL_FOR_SIMD(n)
    for (int64_t i = 0; i < n; ++i) {
      m[i] += (g[i] - m[i]) * one_minus_b1;
      v[i] += (g[i] * g[i] - v[i]) * one_minus_b2;
      vhat[i] = std::max(vhat[i], v[i]);
      w[i] -= alpha * m[i] / (std::sqrt(vhat[i]) + eps);
    }
  } else {
    PROFUNDO_PARALLEL_FOR_SIMD(n)
    for (int64_t i = 0; i < n; ++i) {
      m[i] += (g[i] - m[i]) * one_minus_b1;
      v[i] += (g[i] * g[i] - v[i]) * one_minus_b2;
      w[i] -= alpha * m[i] / (std::sqrt(v[i]) + eps);
    }
  }
}

}  // namespace profundo
