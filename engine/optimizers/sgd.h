// SGD: keras.optimizers.SGD(learning_rate=0.01, momentum=0, nesterov=False).
//   momentum 0:  w -= lr g
//   momentum mu: v = mu v - lr g; w += v
//   nesterov:    v = mu v - lr g; w += mu v - lr g   (the new v)
// One slot, "momentum" (v), only when momentum > 0 at construction.
//
// Not thread-safe; owned by the Model (see optimizer.h).
#ifndef PROFUNDO_ENGINE_OPTIMIZERS_SGD_H_
#define PROFUNDO_ENGINE_OPTIMIZERS_SGD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/optimizers/optimizer.h"

namespace profundo {

class SGD final : public Optimizer {
 public:
  SGD(OptimizerOptions options, double momentum, bool nesterov);

  const char* name() const override { return "SGD"; }
  // True when built with momentum > 0; set_momentum then changes mu (1cycle).
  bool has_momentum() const override { return has_momentum_; }
  double momentum() const override { return momentum_; }
  void set_momentum(double m) override { momentum_ = m; }

 protected:
  std::vector<std::string> SlotNames() const override;
  void Prepare(double lr, int64_t t) override;
  void Apply(float* w, const float* g, float* const* slot,
             int64_t n) const override;

 private:
  const bool has_momentum_;
  double momentum_;
  const bool nesterov_;
  float lr_ = 0, mu_ = 0;  // this step's (Prepare)
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_OPTIMIZERS_SGD_H_
