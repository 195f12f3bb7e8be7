// Nadam: keras.optimizers.Nadam(learning_rate=0.001, beta_1=0.9,
// beta_2=0.999, epsilon=1e-7), Dozat's Nesterov Adam exactly as current
// Keras (keras 2.11+ optimizers/nadam.py and Keras 3) writes it, with step
// t from 1:
//   mu_t = b1 (1 - 0.5 * 0.96^t)          (SPEC.md's schedule; the legacy
//                                          tf.keras optimizer_v2 used
//                                          0.96^(0.004 t) instead)
//   prod_t = mu_1 ... mu_t                (Keras's running u_product)
//   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
//   mhat = mu_{t+1} m / (1 - prod_t mu_{t+1}) + (1 - mu_t) g / (1 - prod_t)
//   vhat = v / (1 - b2^t)
//   w -= lr mhat / (sqrt(vhat) + eps)
// Slots: "m", "v". Momentum (1cycle) is beta_1; as in Keras, the running
// product multiplies in the beta_1 in force at each step, so it is saved in
// checkpoints as the scalar "u_product" (a checkpoint without it is resumed
// by recomputing the product from step 1 with the current beta_1, exact
// unless beta_1 varied before the checkpoint).
//
// Not thread-safe; owned by the Model (see optimizer.h).
#ifndef PROFUNDO_ENGINE_OPTIMIZERS_NADAM_H_
#define PROFUNDO_ENGINE_OPTIMIZERS_NADAM_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/optimizers/optimizer.h"

namespace profundo {

// A step's coefficients (Nadam::Prepare; nadam.cc has the update).
struct NadamStep {
  float m_coef, g_coef, v_scale, lr, one_minus_b1, one_minus_b2, eps;
};

class Nadam final : public Optimizer {
 public:
  Nadam(OptimizerOptions options, double beta_1, double beta_2, double epsilon);

  const char* name() const override { return "Nadam"; }
  bool has_momentum() const override { return true; }
  double momentum() const override { return beta_1_; }
  void set_momentum(double m) override { beta_1_ = m; }
  std::map<std::string, double> scalars() const override;
  absl::Status set_scalars(const std::map<std::string, double>& s) override;

 protected:
  std::vector<std::string> SlotNames() const override { return {"m", "v"}; }
  void Prepare(double lr, int64_t t) override;
  void Apply(float* w, const float* g, float* const* slot,
             int64_t n) const override;

 private:
  // mu_t = beta_1 (1 - 0.5 * 0.96^t).
  double Mu(int64_t t) const;

  double beta_1_;
  const double beta_2_;
  const double epsilon_;
  double u_product_ = 1.0;  // mu_1 ... mu_{u_product_steps_}
  int64_t u_product_steps_ = 0;
  NadamStep step_{};
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_OPTIMIZERS_NADAM_H_
