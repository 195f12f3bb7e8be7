// FakeTrainingControl: a scripted stand-in for the running fit, for callback
// tests. Owns a real optimizer; weights are a plain vector the test sets.
#ifndef PROFUNDO_TESTS_UNIT_CALLBACKS_FAKE_TRAINING_CONTROL_H_
#define PROFUNDO_TESTS_UNIT_CALLBACKS_FAKE_TRAINING_CONTROL_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "engine/callbacks/callback.h"
#include "engine/optimizers/optimizer.h"

namespace profundo {

class FakeTrainingControl : public TrainingControl {
 public:
  FakeTrainingControl(std::unique_ptr<Optimizer> optimizer, int epochs,
                      int64_t steps_per_epoch)
      : optimizer_(std::move(optimizer)),
        epochs_(epochs),
        steps_per_epoch_(steps_per_epoch) {}

  Optimizer& optimizer() override { return *optimizer_; }
  int epochs() const override { return epochs_; }
  int64_t steps_per_epoch() const override { return steps_per_epoch_; }
  void StopTraining() override { stopped = true; }
  std::vector<float> GetWeights() const override { return weights; }
  void SetWeights(const std::vector<float>& w) override {
    weights = w;
    ++set_weights_calls;
  }

  bool stopped = false;
  std::vector<float> weights;
  int set_weights_calls = 0;

 private:
  std::unique_ptr<Optimizer> optimizer_;
  int epochs_;
  int64_t steps_per_epoch_;
};

// EpochLogs of `epoch` with val_loss and val_accuracy set to `value`.
inline EpochLogs LogsWith(int epoch, double value) {
  EpochLogs logs;
  logs.epoch = epoch;
  logs.val_loss = value;
  logs.val_accuracy = value;
  return logs;
}

}  // namespace profundo

#endif  // PROFUNDO_TESTS_UNIT_CALLBACKS_FAKE_TRAINING_CONTROL_H_
