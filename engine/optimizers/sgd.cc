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

void SGD::Update(float* w, const float* g, float* const* slot, int64_t n,
                 double lr, int64_t t) {
  const float lr_f = static_cast<float>(lr);
  if (!has_momentum_) {
    PROFUNDO_PARALLEL_FOR_SIMD(n)
    for (int64_t i = 0; i < n; ++i) w[i] -= lr_f * g[i];
    return;
  }
  const float mu = static_cast<float>(momentum_);
  float* v = slot[0];
  if (nesterov_) {
    PROFUNDO_PARALLEL_FOR_SIMD(n)
    for (int64_t i = 0; i < n; ++i) {
      v[i] = mu * v[i] - lr_f * g[i];
      w[i] += mu * v[i] - lr_f * g[i];
    }
  } else {
    PROFUNDO_PARALLEL_FOR_SIMD(n)
    for (int64_t i = 0; i < n; ++i) {
      v[i] = mu * v[i] - lr_f * g[i];
      w[i] += v[i];
    }
  }
}

}  // namespace profundo
