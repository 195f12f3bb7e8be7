// Adagrad: keras.optimizers.Adagrad(learning_rate=0.001,
// initial_accumulator_value=0.1, epsilon=1e-7), as Keras 2.11+ writes it:
//   acc += g^2;  w -= lr g / sqrt(acc + eps)
// One slot, "accumulator", starting at initial_accumulator_value.
//
// Not thread-safe; owned by the Model (see optimizer.h).
#ifndef PROFUNDO_ENGINE_OPTIMIZERS_ADAGRAD_H_
#define PROFUNDO_ENGINE_OPTIMIZERS_ADAGRAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/optimizers/optimizer.h"

namespace profundo {

class Adagrad final : public Optimizer {
 public:
  Adagrad(OptimizerOptions options, double initial_accumulator_value,
          double epsilon);

  const char* name() const override { return "Adagrad"; }

 protected:
  std::vector<std::string> SlotNames() const override {
    return {"accumulator"};
  }
  float SlotInitialValue(int i) const override {
    return static_cast<float>(initial_accumulator_value_);
  }
  void Prepare(double lr, int64_t t) override;
  void Apply(float* w, const float* g, float* const* slot,
             int64_t n) const override;

 private:
  const double initial_accumulator_value_;
  const double epsilon_;
  float lr_ = 0, eps_ = 0;  // this step's (Prepare)
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_OPTIMIZERS_ADAGRAD_H_
