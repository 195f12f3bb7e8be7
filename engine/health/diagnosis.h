// Diagnosis: plain-language warnings from a HealthReport, with the seed's
// remedies (initialization, activations, batch norm, clipping, AlphaDropout).
//
// Rules (thresholds are the k* constants below):
//   vanishing gradients  the first kernel's gradient norm is below
//                        kVanishingRatio x the last kernel's
//   exploding gradients  a gradient norm is not finite or above
//                        kExplodingNorm, or the first kernel's is above
//                        1 / kVanishingRatio x the last kernel's
//   dead ReLUs           a relu layer with more than kDeadFraction of its
//                        units at 0 for the whole batch
//   saturation           a sigmoid/tanh layer with more than
//                        kSaturatedFraction of its outputs saturated
//   self-normalization   a selu layer whose output mean is off 0 by more than
//                        kSeluMeanTolerance or whose std is outside
//                        [1 / kSeluStdFactor, kSeluStdFactor]
//
// Example:
//   for (const HealthWarning& w : Diagnose(report))
//   std::puts(w.message.c_str());
#ifndef PROFUNDO_ENGINE_HEALTH_DIAGNOSIS_H_
#define PROFUNDO_ENGINE_HEALTH_DIAGNOSIS_H_

#include <string>
#include <vector>

#include "engine/health/layer_health.h"

namespace profundo {

inline constexpr double kVanishingRatio = 1e-2;
inline constexpr double kExplodingNorm = 1e3;
inline constexpr double kDeadFraction = 0.5;
inline constexpr double kSaturatedFraction = 0.5;
inline constexpr double kSeluMeanTolerance = 0.5;
inline constexpr double kSeluStdFactor = 2.0;

enum class HealthIssue {
  kVanishingGradients,
  kExplodingGradients,
  kDeadRelu,
  kSaturation,
  kBrokenSelfNormalization,
};

// "vanishing_gradients", "exploding_gradients", "dead_relu", "saturation",
// "broken_self_normalization".
const char* HealthIssueName(HealthIssue issue);

struct HealthWarning {
  HealthIssue issue;
  std::string layer;    // the layer most concerned ("" for the whole model)
  std::string message;  // what was seen, why it matters, what to try
};

// Warnings for one report, at most one per issue, in the enum's order.
std::vector<HealthWarning> Diagnose(const HealthReport& report);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_HEALTH_DIAGNOSIS_H_
