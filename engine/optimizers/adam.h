// Adam: keras.optimizers.Adam(learning_rate=0.001, beta_1=0.9,
// beta_2=0.999, epsilon=1e-7, amsgrad=False), Kingma and Ba with Keras's
// "epsilon hat" (SPEC.md; the seed's listing has a typo in m's correction):
//   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
//   w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
// amsgrad: vhat = max(vhat, v) replaces v in the denominator.
// Slots: "m", "v", then "vhat" if amsgrad. Momentum (1cycle) is beta_1.
//
// Not thread-safe; owned by the Model (see optimizer.h).
#ifndef PROFUNDO_ENGINE_OPTIMIZERS_ADAM_H_
#define PROFUNDO_ENGINE_OPTIMIZERS_ADAM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/optimizers/optimizer.h"

namespace profundo {

// A step's coefficients (Adam::Prepare).
struct AdamStep {
  float alpha, one_minus_b1, one_minus_b2, eps;
};

class Adam final : public Optimizer {
 public:
  Adam(OptimizerOptions options, double beta_1, double beta_2, double epsilon,
       bool amsgrad);

  const char* name() const override { return "Adam"; }
  bool has_momentum() const override { return true; }
  double momentum() const override { return beta_1_; }
  void set_momentum(double m) override { beta_1_ = m; }

 protected:
  std::vector<std::string> SlotNames() const override;
  void Prepare(double lr, int64_t t) override;
  void Apply(float* w, const float* g, float* const* slot,
             int64_t n) const override;

 private:
  double beta_1_;
  const double beta_2_;
  const double epsilon_;
  const bool amsgrad_;
  AdamStep step_{};
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_OPTIMIZERS_ADAM_H_
