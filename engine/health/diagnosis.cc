#include "engine/health/diagnosis.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace profundo {

const char* HealthIssueName(HealthIssue issue) {
  switch (issue) {
    case HealthIssue::kVanishingGradients:
      return "vanishing_gradients";
    case HealthIssue::kExplodingGradients:
      return "exploding_gradients";
    case HealthIssue::kDeadRelu:
      return "dead_relu";
    case HealthIssue::kSaturation:
      return "saturation";
    case HealthIssue::kBrokenSelfNormalization:
      return "broken_self_normalization";
  }
  return "unknown";
}

std::vector<HealthWarning> Diagnose(const HealthReport& report) {
  std::vector<HealthWarning> out;
  const LayerHealth* first = nullptr;
  const LayerHealth* last = nullptr;
  const LayerHealth* worst_exploding = nullptr;
  const LayerHealth* worst_dead = nullptr;
  const LayerHealth* worst_saturated = nullptr;
  const LayerHealth* worst_selu = nullptr;
  double worst_selu_score = 0;
  bool has_plain_dropout = false;
  for (const LayerHealth& h : report.layers) {
    if (h.type == "Dropout") has_plain_dropout = true;
    if (h.has_kernel) {
      if (first == nullptr) first = &h;
      last = &h;
      if (!std::isfinite(h.grad_norm) || h.grad_norm > kExplodingNorm) {
        if (worst_exploding == nullptr ||
            !(h.grad_norm <= worst_exploding->grad_norm)) {
          worst_exploding = &h;
        }
      }
    }
    if (h.dead_fraction && *h.dead_fraction > kDeadFraction &&
        (worst_dead == nullptr ||
         *h.dead_fraction > *worst_dead->dead_fraction)) {
      worst_dead = &h;
    }
    if (h.saturated_fraction && *h.saturated_fraction > kSaturatedFraction &&
        (worst_saturated == nullptr ||
         *h.saturated_fraction > *worst_saturated->saturated_fraction)) {
      worst_saturated = &h;
    }
    if (h.activation == ActivationKind::kSelu) {
      const bool off = !(std::fabs(h.act_mean) <= kSeluMeanTolerance) ||
                       !(h.act_std <= kSeluStdFactor) ||
                       !(h.act_std >= 1.0 / kSeluStdFactor);
      const double score = std::fabs(h.act_mean) +
                           std::fabs(std::log(std::max(h.act_std, 1e-30)));
      if (off && (worst_selu == nullptr || !(score <= worst_selu_score))) {
        worst_selu = &h;
        worst_selu_score = score;
      }
    }
  }

  if (first != nullptr && last != nullptr && first != last &&
      std::isfinite(first->grad_norm) && std::isfinite(last->grad_norm) &&
      first->grad_norm < kVanishingRatio * last->grad_norm) {
    out.push_back({HealthIssue::kVanishingGradients, first->name,
                   absl::StrFormat(
                       "vanishing gradients: the gradient norm of %s (%.3g) is "
                       "%.0fx smaller than that of %s (%.3g), so the first "
                       "layers barely learn. Try He or LeCun initialization "
                       "(he_normal, lecun_normal) instead of N(0, 1) or "
                       "glorot with saturating activations, non-saturating "
                       "activations (ELU, LeakyReLU, SELU, ReLU) instead of "
                       "sigmoid/tanh, or BatchNormalization between layers.",
                       first->name, first->grad_norm,
                       last->grad_norm / std::max(first->grad_norm, 1e-300),
                       last->name, last->grad_norm)});
  }
  const bool growing = first != nullptr && last != nullptr && first != last &&
                       std::isfinite(first->grad_norm) && last->grad_norm > 0 &&
                       first->grad_norm * kVanishingRatio > last->grad_norm;
  if (worst_exploding != nullptr || growing) {
    const LayerHealth* l = worst_exploding ? worst_exploding : first;
    out.push_back(
        {HealthIssue::kExplodingGradients, l->name,
         absl::StrFormat(
             "exploding gradients: the gradient norm of %s is %.3g%s, "
             "so one step can throw the weights far off and the loss "
             "may become NaN. Clip gradients (optimizer clipnorm, "
             "clipvalue or global_clipnorm), lower the learning "
             "rate, or use better initialization and "
             "BatchNormalization.",
             l->name, l->grad_norm,
             growing ? " and the norms grow toward the input" : "")});
  }
  if (worst_dead != nullptr) {
    out.push_back(
        {HealthIssue::kDeadRelu, worst_dead->name,
         absl::StrFormat(
             "dead ReLUs: %.0f%% of the units of %s output 0 for every "
             "sample of the batch; their gradient is 0, so they will "
             "never come back. Use a leaky variant (LeakyReLU, ELU, "
             "SELU, PReLU), a lower learning rate, or check the "
             "bias initialization.",
             100 * *worst_dead->dead_fraction, worst_dead->name)});
  }
  if (worst_saturated != nullptr) {
    out.push_back(
        {HealthIssue::kSaturation, worst_saturated->name,
         absl::StrFormat(
             "saturation: %.0f%% of the outputs of %s are in the flat "
             "tails of its activation, where the gradient is almost "
             "0. Use a non-saturating activation, He/LeCun or Glorot "
             "initialization (not N(0, 1)), or BatchNormalization.",
             100 * *worst_saturated->saturated_fraction,
             worst_saturated->name)});
  }
  if (worst_selu != nullptr) {
    out.push_back(
        {HealthIssue::kBrokenSelfNormalization, worst_selu->name,
         absl::StrFormat(
             "broken self-normalization: the SELU outputs of %s have "
             "mean %.3g and std %.3g, far from 0 and 1, so SELU's "
             "guarantee is lost. It needs standardized inputs "
             "(preprocessing.standardize), lecun_normal "
             "initialization, a plain sequential stack of Dense "
             "layers, and AlphaDropout instead of Dropout%s.",
             worst_selu->name, worst_selu->act_mean, worst_selu->act_std,
             has_plain_dropout ? " (this model uses Dropout)" : "")});
  }
  return out;
}

}  // namespace profundo
