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

void Adamax::Prepare(double lr, int64_t t) {
  step_ = static_cast<float>(
      lr / (1.0 - std::pow(beta_1_, static_cast<double>(t))));
  one_minus_b1_ = static_cast<float>(1.0 - beta_1_);
  b2_ = static_cast<float>(beta_2_);
  eps_ = static_cast<float>(epsilon_);
}

void Adamax::Apply(float* w, const float* g, float* const* slot,
                   int64_t n) const {
  AdamaxRange(w, g, slot[0], slot[1], n, step_, one_minus_b1_, b2_, eps_);
}

}  // namespace profundo
