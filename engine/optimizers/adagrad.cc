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

void Adagrad::Update(float* w, const float* g, float* const* slot, int64_t n,
                     double lr, int64_t t) {
  const float lr_f = static_cast<float>(lr);
  const float eps = static_cast<float>(epsilon_);
  float* acc = slot[0];
  UpdateRanges(n, [&](int64_t b, int64_t e) {
    AdagradRange(w + b, g + b, acc + b, e - b, lr_f, eps);
  });
}

}  // namespace profundo
