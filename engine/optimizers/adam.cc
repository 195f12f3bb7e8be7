#include "engine/optimizers/adam.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/parallel.h"

namespace profundo {

Adam::Adam(OptimizerOptions options, double beta_1, double beta_2,
           double epsilon, bool amsgrad)
    : Optimizer(std::move(options)),
      beta_1_(beta_1),
      beta_2_(beta_2),
      epsilon_(epsilon),
      amsgrad_(amsgrad) {}

std::vector<std::string> Adam::SlotNames() const {
  if (amsgrad_) return {"m", "v", "vhat"};
  return {"m", "v"};
}

namespace {

// The updates of n elements; AVX2/AVX-512 clones (sqrt and divide
// dominate). Each element is loaded once and stored after all loads, as in
// Nadam (nadam.cc: no store-to-load forwarding on the critical path).
PROFUNDO_TARGET_CLONES
void AdamRange(float* w, const float* g, float* m, float* v, int64_t n,
               AdamStep c) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = m[i] + (gi - m[i]) * c.one_minus_b1;
    const float vi = v[i] + (gi * gi - v[i]) * c.one_minus_b2;
    const float wi = w[i] - c.alpha * mi / (std::sqrt(vi) + c.eps);
    m[i] = mi;
    v[i] = vi;
    w[i] = wi;
  }
}

PROFUNDO_TARGET_CLONES
void AmsgradRange(float* w, const float* g, float* m, float* v, float* vhat,
                  int64_t n, AdamStep c) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = m[i] + (gi - m[i]) * c.one_minus_b1;
    const float vi = v[i] + (gi * gi - v[i]) * c.one_minus_b2;
    const float vh = std::max(vhat[i], vi);
    const float wi = w[i] - c.alpha * mi / (std::sqrt(vh) + c.eps);
    m[i] = mi;
    v[i] = vi;
    vhat[i] = vh;
    w[i] = wi;
  }
}

}  // namespace

void Adam::Prepare(double lr, int64_t t) {
  const double td = static_cast<double>(t);
  step_ = {static_cast<float>(lr * std::sqrt(1.0 - std::pow(beta_2_, td)) /
                              (1.0 - std::pow(beta_1_, td))),
           static_cast<float>(1.0 - beta_1_), static_cast<float>(1.0 - beta_2_),
           static_cast<float>(epsilon_)};
}

void Adam::Apply(float* w, const float* g, float* const* slot,
                 int64_t n) const {
  if (amsgrad_) {
    AmsgradRange(w, g, slot[0], slot[1], slot[2], n, step_);
  } else {
    AdamRange(w, g, slot[0], slot[1], n, step_);
  }
}

}  // namespace profundo
