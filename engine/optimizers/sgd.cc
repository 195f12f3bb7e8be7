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

void SGD::Update(float* w, const float* g, float* const* slot, int64_t n,
                 double lr, int64_t t) {
  const float lr_f = static_cast<float>(lr);
  const float mu = static_cast<float>(momentum_);
  float* v = has_momentum_ ? slot[0] : nullptr;
  UpdateRanges(n, [&](int64_t b, int64_t e) {
    if (v == nullptr) {
      PlainRange(w + b, g + b, e - b, lr_f);
    } else if (nesterov_) {
      NesterovRange(w + b, g + b, v + b, e - b, lr_f, mu);
    } else {
      MomentumRange(w + b, g + b, v + b, e - b, lr_f, mu);
    }
  });
}

}  // namespace profundo
