// RMSprop: keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9,
// momentum=0, epsilon=1e-7, centered=False), as Keras 2.11+ writes it:
//   ms = rho ms + (1 - rho) g^2
//   centered: mg = rho mg + (1 - rho) g; denom = ms - mg^2 + eps
//   else:     denom = ms + eps
//   inc = lr g / sqrt(denom)
//   momentum: mom = momentum mom + inc; w -= mom     else: w -= inc
// Slots: "velocity" (ms), then "momentum" if momentum > 0 at construction,
// then "average_gradient" (mg) if centered.
//
// Not thread-safe; owned by the Model (see optimizer.h).
#ifndef PROFUNDO_ENGINE_OPTIMIZERS_RMSPROP_H_
#define PROFUNDO_ENGINE_OPTIMIZERS_RMSPROP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/optimizers/optimizer.h"

namespace profundo {

// A step's coefficients (RMSprop::Prepare).
struct RmsStep {
  float lr, rho, one_minus_rho, eps, mu;
};

class RMSprop final : public Optimizer {
 public:
  RMSprop(OptimizerOptions options, double rho, double momentum, double epsilon,
          bool centered);

  const char* name() const override { return "RMSprop"; }
  bool has_momentum() const override { return has_momentum_; }
  double momentum() const override { return momentum_; }
  void set_momentum(double m) override { momentum_ = m; }

 protected:
  std::vector<std::string> SlotNames() const override;
  void Prepare(double lr, int64_t t) override;
  void Apply(float* w, const float* g, float* const* slot,
             int64_t n) const override;

 private:
  const double rho_;
  const bool has_momentum_;
  double momentum_;
  const double epsilon_;
  const bool centered_;
  RmsStep step_{};
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_OPTIMIZERS_RMSPROP_H_
