#include "engine/optimizers/adagrad.h"

#include <cmath>
#include <utility>

#include "engine/parallel.h"

namespace profundo {

Adagrad::Adagrad(OptimizerOptions options, double initial_accumulator_value,
                 double epsilon)
    : Optimizer(std::move(options)),
      initial_accumulator_value_(initial_accumulator_value),
      epsilon_(epsilon) {}

void Adagrad::Update(float* w, const float* g, float* const* slot, int64_t n,
                     double lr, int64_t t) {
  const float lr_f = static_cast<float>(lr);
  const float eps = static_cast<float>(epsilon_);
  float* acc = slot[0];
  PROFUNDO_PARALLEL_FOR_SIMD(n)
  for (int64_t i = 0; i < n; ++i) {
    acc[i] += g[i] * g[i];
    w[i] -= lr_f * g[i] / std::sqrt(acc[i] + eps);
  }
}

}  // namespace profundo
