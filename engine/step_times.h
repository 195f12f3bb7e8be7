// StepTimes: where one epoch's training steps spent their wall time, by
// phase (the batch's gather, the forward pass, the backward pass with the
// loss, the optimizer's update) and by layer, summed over the steps. Fit
// fills one per epoch when FitOptions::step_times asks for them (a few
// clock reads per layer per step, so only then); `profundo-bench
// --step_times` prints them per step (the README's per-phase numbers
// from session 14 on; earlier ones came from throwaway timed builds).
//
// In a step that hands the first trainable layer column sums
// (Layer::TakesColumnSums), the layer after it does both layers' backward:
// its layer_backward holds the two, the first layer's 0.
//
// StepTimes is a plain value type; ScopedStepTimer adds the wall time of
// its scope to one of its fields (nothing, not even a clock read, when the
// StepTimes is null). Neither is thread-safe.
//
// Example:
//   { ScopedStepTimer t(times, &StepTimes::gather); ... }
//   { ScopedStepTimer t(times, &StepTimes::layer_forward, i); ... }
#ifndef PROFUNDO_ENGINE_STEP_TIMES_H_
#define PROFUNDO_ENGINE_STEP_TIMES_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace profundo {

struct StepTimes {
  int64_t steps = 0;
  // Seconds, summed over the steps.
  double gather = 0;    // the batch's inputs and targets
  double forward = 0;   // every layer, then the fused head if any
  double backward = 0;  // the loss, every layer, regularization gradients
  double update = 0;    // the optimizer's Step
  // Per layer (the model's order), seconds summed over the steps; the loss
  // (with a fused head's) apart.
  std::vector<double> layer_forward;
  std::vector<double> layer_backward;
  double loss = 0;
};

class ScopedStepTimer {
 public:
  ScopedStepTimer(StepTimes* times, double StepTimes::*field)
      : field_(times == nullptr ? nullptr : &(times->*field)) {
    if (field_ != nullptr) start_ = std::chrono::steady_clock::now();
  }
  // Element `layer` of a per-layer field (sized by the caller).
  ScopedStepTimer(StepTimes* times, std::vector<double> StepTimes::*layers,
                  size_t layer)
      : field_(times == nullptr ? nullptr : &(times->*layers).at(layer)) {
    if (field_ != nullptr) start_ = std::chrono::steady_clock::now();
  }
  ~ScopedStepTimer() {
    if (field_ == nullptr) return;
    *field_ += std::chrono::duration<double>(
                   std::chrono::steady_clock::now() - start_)
                   .count();
  }
  ScopedStepTimer(const ScopedStepTimer&) = delete;
  ScopedStepTimer& operator=(const ScopedStepTimer&) = delete;

 private:
  double* field_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_STEP_TIMES_H_
