// RandomUniform: Keras's random_uniform(minval=-0.05, maxval=0.05)
// initializer, U[minval, maxval) (after rounding to float, within
// [minval, maxval]).
//
// Immutable after construction; thread-safe for concurrent const use (the
// randomness comes from the caller's Rng).
#ifndef PROFUNDO_ENGINE_INITIALIZERS_RANDOM_UNIFORM_H_
#define PROFUNDO_ENGINE_INITIALIZERS_RANDOM_UNIFORM_H_

#include "engine/initializers/initializer.h"

namespace profundo {

class RandomUniform final : public Initializer {
 public:
  static constexpr double kDefaultMinval = -0.05;
  static constexpr double kDefaultMaxval = 0.05;

  // Requires minval <= maxval (MakeInitializer validates it).
  RandomUniform(double minval, double maxval)
      : minval_(minval), maxval_(maxval) {}

  void Fill(float* w, const Shape& shape, Rng& rng) const override;

 private:
  double minval_;
  double maxval_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_INITIALIZERS_RANDOM_UNIFORM_H_
