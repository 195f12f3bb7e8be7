// VarianceScaling: Keras's variance-scaling initializer and the named
// presets built on it (glorot_*, he_*, lecun_*), SPEC.md "Initializers".
//
// With n the chosen fan (at least 1) and s = scale / n:
//   uniform:            U[-r, r], r = sqrt(3 s)
//   truncated_normal:   N(0, sd) re-drawn outside +-2 sd,
//                       sd = sqrt(s) / 0.87962566103423978 (final std sqrt(s))
//   untruncated_normal: N(0, sqrt(s))
//
// Immutable after construction; thread-safe for concurrent const use (the
// randomness comes from the caller's Rng).
//
// Example:
//   VarianceScaling he(2.0, FanMode::kFanIn, Distribution::kTruncatedNormal);
//   he.Fill(w, {784, 300}, rng);
#ifndef PROFUNDO_ENGINE_INITIALIZERS_VARIANCE_SCALING_H_
#define PROFUNDO_ENGINE_INITIALIZERS_VARIANCE_SCALING_H_

#include "engine/initializers/initializer.h"
#include "engine/rng.h"
#include "engine/tensor.h"

namespace profundo {

enum class FanMode { kFanIn, kFanOut, kFanAvg };
enum class Distribution { kTruncatedNormal, kUntruncatedNormal, kUniform };

// Keras's fans. Rank 0: 1 and 1. Rank 1: shape[0] for both. Rank 2 (Dense
// kernel [fan_in, units]): shape[0] and shape[1]. Higher ranks: the last two
// dimensions times the receptive field (product of the others).
struct Fans {
  double fan_in = 1;
  double fan_out = 1;
};
Fans ComputeFans(const Shape& shape);

// The truncated normal's correction: the std of N(0, 1) truncated to [-2, 2].
inline constexpr double kTruncatedNormalStdFactor = 0.87962566103423978;

class VarianceScaling final : public Initializer {
 public:
  // `scale` must be > 0 (MakeInitializer validates it).
  VarianceScaling(double scale, FanMode mode, Distribution distribution)
      : scale_(scale), mode_(mode), distribution_(distribution) {}

  void Fill(float* w, const Shape& shape, Rng& rng) const override;

  // s = scale / n for a tensor of `shape`: the variance of the values drawn.
  double Variance(const Shape& shape) const;

  double scale() const { return scale_; }
  FanMode mode() const { return mode_; }
  Distribution distribution() const { return distribution_; }

 private:
  double scale_;
  FanMode mode_;
  Distribution distribution_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_INITIALIZERS_VARIANCE_SCALING_H_
