#include "engine/optimizers/adamax.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/parallel.h"

namespace profundo {

Adamax::Adamax(OptimizerOptions options, double beta_1, double beta_2,
               double epsilon)
    : Optimizer(std::move(options)),
      beta_1_(beta_1),
      beta_2_(beta_2),
      epsilon_(epsilon) {}

void Adamax::Update(float* w, const float* g, float* const* slot, int64_t n,
                    double lr, int64_t t) {
  const float step = static_cast<float>(
      lr / (1.0 - std::pow(beta_1_, static_cast<double>(t))));
  const float one_minus_b1 = static_cast<float>(1.0 - beta_1_);
  const float b2 = static_cast<float>(beta_2_);
  const float eps = static_cast<float>(epsilon_);
  float* m = slot[0];
  float* u = slot[1];
  PROFUNDO_PARALLEL_FOR_SIMD(n)
  for (int64_t i = 0; i < n; ++i) {
    m[i] += (g[i] - m[i]) * one_minus_b1;
    u[i] = std::max(b2 * u[i], std::abs(g[i]));
    w[i] -= step * m[i] / (u[i] + eps);
  }
}

}  // namespace profundo
