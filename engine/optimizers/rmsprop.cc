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

void RMSprop::Prepare(double lr, int64_t t) {
  step_ = {static_cast<float>(lr), static_cast<float>(rho_),
           static_cast<float>(1.0 - rho_), static_cast<float>(epsilon_),
           static_cast<float>(momentum_)};
}

void RMSprop::Apply(float* w, const float* g, float* const* slot,
                    int64_t n) const {
  const RmsStep& c = step_;
  float* ms = slot[0];
  float* mom = has_momentum_ ? slot[1] : nullptr;
  float* mg = centered_ ? slot[has_momentum_ ? 2 : 1] : nullptr;
  if (centered_ && has_momentum_) {
    RmsCenteredMomentumRange(w, g, ms, mg, mom, n, c);
  } else if (centered_) {
    RmsCenteredRange(w, g, ms, mg, n, c);
  } else if (has_momentum_) {
    RmsMomentumRange(w, g, ms, mom, n, c);
  } else {
    RmsRange(w, g, ms, n, c);
  }
}

}  // namespace profundo
