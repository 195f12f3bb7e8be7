// Constant: Keras's constant(value=0) initializer; zeros and ones are
// Constant(0) and Constant(1), as in Keras.
//
// Immutable after construction; thread-safe for concurrent const use.
#ifndef PROFUNDO_ENGINE_INITIALIZERS_CONSTANT_H_
#define PROFUNDO_ENGINE_INITIALIZERS_CONSTANT_H_

#include "engine/initializers/initializer.h"

namespace profundo {

class Constant final : public Initializer {
 public:
  explicit Constant(double value) : value_(value) {}

  // Does not draw from `rng`.
  void Fill(float* w, const Shape& shape, Rng& rng) const override;

 private:
  double value_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_INITIALIZERS_CONSTANT_H_
