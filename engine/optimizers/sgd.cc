#include "engine/optimizers/sgd.h"

#include <utility>

#include "engine/parallel.h"

namespace profundo {

SGD::SGD(OptimizerOptions options, double momentum, bool nesterov)
    : Optimizer(std::move(options)),
      has_momentum_(momentum > 0),
      momentum_(momentum),
      nesterov_(nesterov) {}

std::vector<std::string> SGD::SlotNames() const {
  if (!has_momentum_) return {};
  return {"momentum"};
}

namespace {

// The three updates of n elements (AVX2/AVX-512 clones); each element is
// loaded once and stored after the loads (see nadam.cc).
PROFUNDO_TARGET_CLONES
void PlainRange(float* w, const float* g, int64_t n, float lr) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) w[i] -= lr * g[i];
}

PROFUNDO_TARGET_CLONES
void MomentumRange(float* w, const float* g, float* v, int64_t n, float lr,
                   float mu) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const float vi = mu * v[i] - lr * g[i];
    const float wi = w[i] + vi;
    v[i] = vi;
    w[i] = wi;
  }
}

PROFUNDO_TARGET_CLONES
void NesterovRange(float* w, const float* g, float* v, int64_t n, float lr,
                   float mu) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const float vi = mu * v[i] - lr * g[i];
    const float wi = w[i] + (mu * vi - lr * g[i]);
    v[i] = vi;
    w[i] = wi;
  }
}

}  // namespace

void SGD::Prepare(double lr, int64_t t) {
  lr_ = static_cast<float>(lr);
  mu_ = static_cast<float>(momentum_);
}

void SGD::Apply(float* w, const float* g, float* const* slot,
                int64_t n) const {
  if (!has_momentum_) {
    PlainRange(w, g, n, lr_);
  } else if (nesterov_) {
    NesterovRange(w, g, slot[0], n, lr_, mu_);
  } else {
    MomentumRange(w, g, slot[0], n, lr_, mu_);
  }
}

}  // namespace profundo
