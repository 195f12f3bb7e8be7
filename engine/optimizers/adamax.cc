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

namespace {

// AVX2/AVX-512 clones; loads before stores as in nadam.cc.
PROFUNDO_TARGET_CLONES
void AdamaxRange(float* w, const float* g, float* m, float* u, int64_t n,
                 float step, float one_minus_b1, float b2, float eps) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = m[i] + (gi - m[i]) * one_minus_b1;
    const float ui = std::max(b2 * u[i], std::abs(gi));
    const float wi = w[i] - step * mi / (ui + eps);
    m[i] = mi;
    u[i] = ui;
    w[i] = wi;
  }
}

}  // namespace

void Adamax::Update(float* w, const float* g, float* const* slot, int64_t n,
                    double lr, int64_t t) {
  const float step = static_cast<float>(
      lr / (1.0 - std::pow(beta_1_, static_cast<double>(t))));
  const float one_minus_b1 = static_cast<float>(1.0 - beta_1_);
  const float b2 = static_cast<float>(beta_2_);
  const float eps = static_cast<float>(epsilon_);
  float* m = slot[0];
  float* u = slot[1];
  UpdateRanges(n, [&](int64_t b, int64_t e) {
    AdamaxRange(w + b, g + b, m + b, u + b, e - b, step, one_minus_b1, b2,
                eps);
  });
}

}  // namespace profundo
