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

namespace {

// The step's coefficients.
struct RmsStep {
  float lr, rho, one_minus_rho, eps, mu;
};

// One loop per (centered, momentum) combination, branch-free; AVX2/AVX-512
// clones, loads before stores as in nadam.cc.
PROFUNDO_TARGET_CLONES
void RmsRange(float* w, const float* g, float* ms, int64_t n, RmsStep c) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float s = c.rho * ms[i] + c.one_minus_rho * gi * gi;
    const float wi = w[i] - c.lr * gi / std::sqrt(s + c.eps);
    ms[i] = s;
    w[i] = wi;
  }
}

PROFUNDO_TARGET_CLONES
void RmsMomentumRange(float* w, const float* g, float* ms, float* mom,
                      int64_t n, RmsStep c) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float s = c.rho * ms[i] + c.one_minus_rho * gi * gi;
    const float mo = c.mu * mom[i] + c.lr * gi / std::sqrt(s + c.eps);
    const float wi = w[i] - mo;
    ms[i] = s;
    mom[i] = mo;
    w[i] = wi;
  }
}

PROFUNDO_TARGET_CLONES
void RmsCenteredRange(float* w, const float* g, float* ms, float* mg,
                      int64_t n, RmsStep c) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float s = c.rho * ms[i] + c.one_minus_rho * gi * gi;
    const float a = c.rho * mg[i] + c.one_minus_rho * gi;
    const float wi = w[i] - c.lr * gi / std::sqrt(s - a * a + c.eps);
    ms[i] = s;
    mg[i] = a;
    w[i] = wi;
  }
}

PROFUNDO_TARGET_CLONES
void RmsCenteredMomentumRange(float* w, const float* g, float* ms, float* mg,
                              float* mom, int64_t n, RmsStep c) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float s = c.rho * ms[i] + c.one_minus_rho * gi * gi;
    const float a = c.rho * mg[i] + c.one_minus_rho * gi;
    const float mo = c.mu * mom[i] + c.lr * gi / std::sqrt(s - a * a + c.eps);
    const float wi = w[i] - mo;
    ms[i] = s;
    mg[i] = a;
    mom[i] = mo;
    w[i] = wi;
  }
}

}  // namespace

void RMSprop::Update(float* w, const float* g, float* const* slot, int64_t n,
                     double lr, int64_t t) {
  const RmsStep c{static_cast<float>(lr), static_cast<float>(rho_),
                  static_cast<float>(1.0 - rho_), static_cast<float>(epsilon_),
                  static_cast<float>(momentum_)};
  float* ms = slot[0];
  float* mom = has_momentum_ ? slot[1] : nullptr;
  float* mg = centered_ ? slot[has_momentum_ ? 2 : 1] : nullptr;
  UpdateRanges(n, [&](int64_t b, int64_t e) {
    if (centered_ && has_momentum_) {
      RmsCenteredMomentumRange(w + b, g + b, ms + b, mg + b, mom + b, e - b,
                               c);
    } else if (centered_) {
      RmsCenteredRange(w + b, g + b, ms + b, mg + b, e - b, c);
    } else if (has_momentum_) {
      RmsMomentumRange(w + b, g + b, ms + b, mom + b, e - b, c);
    } else {
      RmsRange(w + b, g + b, ms + b, e - b, c);
    }
  });
}

}  // namespace profundo
