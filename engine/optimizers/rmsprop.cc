#include "engine/optimizers/rmsprop.h"

#include <cmath>
#include <utility>

#include "engine/parallel.h"

namespace profundo {

RMSprop::RMSprop(OptimizerOptions options, double rho, double momentum,
                 double epsilon, bool centered)
    : Optimizer(std::move(options)),
      rho_(rho),
      has_momentum_(momentum > 0),
      momentum_(momentum),
      epsilon_(epsilon),
      centered_(centered) {}

std::vector<std::string> RMSprop::SlotNames() const {
  std::vector<std::string> names = {"velocity"};
  if (has_momentum_) names.push_back("momentum");
  if (centered_) names.push_back("average_gradient");
  return names;
}

void RMSprop::Update(float* w, const float* g, float* const* slot, int64_t n,
                     double lr, int64_t t) {
  const float lr_f = static_cast<float>(lr);
  const float rho = static_cast<float>(rho_);
  const float one_minus_rho = static_cast<float>(1.0 - rho_);
  const float eps = static_cast<float>(epsilon_);
  const float mu = static_cast<float>(momentum_);
  float* ms = slot[0];
  float* mom = has_momentum_ ? slot[1] : nullptr;
  float* mg = centered_ ? slot[has_momentum_ ? 2 : 1] : nullptr;
  // Four branch-free loops, one per (centered, momentum) combination.
  if (centered_ && has_momentum_) {
    PROFUNDO_PARALLEL_FOR_SIMD(n)
    for (int64_t i = 0; i < n; ++i) {
      ms[i] = rho * ms[i] + one_minus_rho * g[i] * g[i];
      mg[i] = rho * mg[i] + one_minus_rho * g[i];
      mom[i] =
          mu * mom[i] + lr_f * g[i] / std::sqrt(ms[i] - mg[i] * mg[i] + eps);
      w[i] -= mom[i];
    }
  } else if (centered_) {
    PROFUNDO_PARALLEL_FOR_SIMD(n)
    for (int64_t i = 0; i < n; ++i) {
      ms[i] = rho * ms[i] + one_minus_rho * g[i] * g[i];
      mg[i] = rho * mg[i] + one_minus_rho * g[i];
      w[i] -= lr_f * g[i] / std::sqrt(ms[i] - mg[i] * mg[i] + eps);
    }
  } else if (has_momentum_) {
    PROFUNDO_PARALLEL_FOR_SIMD(n)
    for (int64_t i = 0; i < n; ++i) {
      ms[i] = rho * ms[i] + one_minus_rho * g[i] * g[i];
      mom[i] = mu * mom[i] + lr_f * g[i] / std::sqrt(ms[i] + eps);
      w[i] -= mom[i];
    }
  } else {
    PROFUNDO_PARALLEL_FOR_SIMD(n)
    for (int64_t i = 0; i < n; ++i) {
      ms[i] = rho * ms[i] + one_minus_rho * g[i] * g[i];
      w[i] -= lr_f * g[i] / std::sqrt(ms[i] + eps);
    }
  }
}

}  // namespace profundo
