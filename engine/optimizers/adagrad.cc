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

namespace {

// AVX2/AVX-512 clones; loads before stores as in nadam.cc.
PROFUNDO_TARGET_CLONES
void AdagradRange(float* w, const float* g, float* acc, int64_t n, float lr,
                  float eps) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float a = acc[i] + gi * gi;
    const float wi = w[i] - lr * gi / std::sqrt(a + eps);
    acc[i] = a;
    w[i] = wi;
  }
}

}  // namespace

void Adagrad::Prepare(double lr, int64_t t) {
  lr_ = static_cast<float>(lr);
  eps_ = static_cast<float>(epsilon_);
}

void Adagrad::Apply(float* w, const float* g, float* const* slot,
                    int64_t n) const {
  AdagradRange(w, g, slot[0], n, lr_, eps_);
}

}  // namespace profundo
