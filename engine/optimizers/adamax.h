// Adamax: keras.optimizers.Adamax(learning_rate=0.001, beta_1=0.9,
// beta_2=0.999, epsilon=1e-7), Adam with the infinity norm:
//   m += (g - m)(1 - b1);  u = max(b2 u, |g|)
//   w -= lr / (1 - b1^t) * m / (u + eps)
// Slots: "m", "u". Momentum (1cycle) is beta_1.
//
// Not thread-safe; owned by the Model (see optimizer.h).
#ifndef PROFUNDO_ENGINE_OPTIMIZERS_ADAMAX_H_
#define PROFUNDO_ENGINE_OPTIMIZERS_ADAMAX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/optimizers/optimizer.h"

namespace profundo {

class Adamax final : public Optimizer {
 public:
  Adamax(OptimizerOptions options, double beta_1, double beta_2,
         double epsilon);

  const char* name() const override { return "Adamax"; }
  bool has_momentum() const override { return true; }
  double momentum() const override { return beta_1_; }
  void set_momentum(double m) override { beta_1_ = m; }

 protected:
  std::vector<std::string> SlotNames() const override { return {"m", "u"}; }
  void Prepare(double lr, int64_t t) override;
  void Apply(float* w, const float* g, float* const* slot,
             int64_t n) const override;

 private:
  double beta_1_;
  const double beta_2_;
  const double epsilon_;
  // This step's (Prepare).
  float step_ = 0, one_minus_b1_ = 0, b2_ = 0, eps_ = 0;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_OPTIMIZERS_ADAMAX_H_
