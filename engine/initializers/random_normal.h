// RandomNormal: Keras's random_normal(mean=0.0, stddev=0.05) initializer,
// N(mean, stddev) without truncation (the seed's N(0, 1) weights are
// random_normal with stddev 1).
//
// Immutable after construction; thread-safe for concurrent const use (the
// randomness comes from the caller's Rng).
#ifndef PROFUNDO_ENGINE_INITIALIZERS_RANDOM_NORMAL_H_
#define PROFUNDO_ENGINE_INITIALIZERS_RANDOM_NORMAL_H_

#include "engine/initializers/initializer.h"

namespace profundo {

class RandomNormal final : public Initializer {
 public:
  static constexpr double kDefaultMean = 0.0;
  static constexpr double kDefaultStddev = 0.05;

  // `stddev` must be >= 0 (MakeInitializer validates it).
  RandomNormal(double mean, double stddev) : mean_(mean), stddev_(stddev) {}

  void Fill(float* w, const Shape& shape, Rng& rng) const override;

 private:
  double mean_;
  double stddev_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_INITIALIZERS_RANDOM_NORMAL_H_
