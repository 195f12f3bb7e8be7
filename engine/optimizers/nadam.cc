#include "engine/optimizers/nadam.h"

#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/parallel.h"

namespace profundo {

Nadam::Nadam(OptimizerOptions options, double beta_1, double beta_2,
             double epsilon)
    : Optimizer(std::move(options)),
      beta_1_(beta_1),
      beta_2_(beta_2),
      epsilon_(epsilon) {}

double Nadam::Mu(int64_t t) const {
  return beta_1_ * (1.0 - 0.5 * std::pow(0.96, static_cast<double>(t)));
}

std::map<std::string, double> Nadam::scalars() const {
  // The product covers iterations() steps unless the counter was set
  // without it (a resume from a checkpoint that had no scalars).
  if (u_product_steps_ != iterations()) return {};
  return {{"u_product", u_product_}};
}

absl::Status Nadam::set_scalars(const std::map<std::string, double>& s) {
  if (s.empty()) return absl::OkStatus();
  auto it = s.find("u_product");
  if (s.size() != 1 || it == s.end()) return Optimizer::set_scalars(s);
  if (!(it->second > 0.0 && it->second <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint optimizer state u_product is ", it->second,
        "; it must be in (0, 1]"));
  }
  u_product_ = it->second;
  u_product_steps_ = iterations();
  return absl::OkStatus();
}

namespace {

// One element: the new (m, v, w) from (w, g, m, v), computed from loaded
// values only (see NadamRange).
struct NadamElement {
  float m, v, w;
};
__attribute__((always_inline)) inline NadamElement NadamUpdate(
    float w, float g, float m, float v, const NadamStep& c) {
  NadamElement e;
  e.m = m + (g - m) * c.one_minus_b1;
  e.v = v + (g * g - v) * c.one_minus_b2;
  const float m_hat = c.m_coef * e.m + c.g_coef * g;
  e.w = w - c.lr * m_hat / (std::sqrt(e.v * c.v_scale) + c.eps);
  return e;
}

// The update of n elements; AVX2/AVX-512 clones (on Zen 5 the loads and
// stores bound it, not the sqrt and divide: the loop without them ran as
// fast, session 15).
// Every element is loaded once and stored once, after all loads: reading m
// or v back after storing it made the loop 3x slower whenever the buffers'
// addresses left a vector store misaligned (a failed store-to-load forward
// per vector on Zen 4), which depended on where malloc put the slots.
PROFUNDO_TARGET_CLONES
void NadamRange(float* w, const float* g, float* m, float* v, int64_t n,
                NadamStep c) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) {
    const NadamElement e = NadamUpdate(w[i], g[i], m[i], v[i], c);
    m[i] = e.m;
    v[i] = e.v;
    w[i] = e.w;
  }
}

}  // namespace

void Nadam::Prepare(double lr, int64_t t) {
  if (u_product_steps_ != t - 1) {
    // Resumed (set_iterations) or first use: rebuild prod_{t-1}.
    u_product_ = 1.0;
    for (int64_t s = 1; s < t; ++s) u_product_ *= Mu(s);
  }
  const double mu_t = Mu(t);
  const double mu_next = Mu(t + 1);
  u_product_ *= mu_t;
  u_product_steps_ = t;
  const double product_next = u_product_ * mu_next;

  const float m_coef = static_cast<float>(mu_next / (1.0 - product_next));
  const float g_coef = static_cast<float>((1.0 - mu_t) / (1.0 - u_product_));
  const float v_scale = static_cast<float>(
      1.0 / (1.0 - std::pow(beta_2_, static_cast<double>(t))));
  const float lr_f = static_cast<float>(lr);
  const float one_minus_b1 = static_cast<float>(1.0 - beta_1_);
  const float one_minus_b2 = static_cast<float>(1.0 - beta_2_);
  const float eps = static_cast<float>(epsilon_);
  step_ = {m_coef, g_coef, v_scale, lr_f, one_minus_b1, one_minus_b2, eps};
}

void Nadam::Apply(float* w, const float* g, float* const* slot,
                  int64_t n) const {
  NadamRange(w, g, slot[0], slot[1], n, step_);
}

}  // namespace profundo
