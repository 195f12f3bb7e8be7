// LrRangeTest: the learning-rate range test the seed points at for choosing
// 1cycle's maximum rate (Smith 2015; fastai's lr_find). A fresh model built
// from the spec trains with a rate that grows exponentially from min_lr to
// max_lr over `steps` batches (one epoch by default); each step's loss is
// recorded with an exponentially smoothed, bias-corrected copy
// (smoothed_i = avg_i / (1 - beta^(i+1)), avg_i = beta avg_(i-1) +
// (1 - beta) loss_i). The test stops once the smoothed loss exceeds
// explode_factor x its minimum, or the loss is NaN/Inf.
//
// Suggestion rule: suggested_max_rate = (rate at the minimum smoothed loss)
// / 10, Géron's "about 10 times lower than the turning point". The steepest
// descent point (most negative d smoothed / d log lr before the minimum,
// measured over windows of at least a quarter decade; the window's end) is
// reported too.
//
// Example:
//   LrRangeOptions o;  o.min_lr = 1e-5;  o.max_lr = 10;
//   PROFUNDO_ASSIGN_OR_RETURN(LrRangeResult r, LrRangeTest(spec, train, o));
//   // OneCycle max_rate = r.suggested_max_rate
#ifndef PROFUNDO_ENGINE_HEALTH_LR_RANGE_TEST_H_
#define PROFUNDO_ENGINE_HEALTH_LR_RANGE_TEST_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/datasets/dataset.h"
#include "profundo/v1/model.pb.h"

namespace profundo {

struct LrRangePoint {
  double lr = 0;
  double loss = 0;
  double smoothed_loss = 0;
};

struct LrRangeOptions {
  double min_lr = 1e-5;
  double max_lr = 10.0;
  int64_t steps = 0;  // 0: one epoch of `train`
  int batch_size = 32;
  double smoothing = 0.98;  // beta
  double explode_factor = 4.0;
  uint64_t seed = 42;
  bool shuffle = true;
  // Checked before every batch: when it becomes true the test returns the
  // points so far with cancelled = true. Not owned.
  const std::atomic<bool>* cancel = nullptr;
  // Called after every step with its point, the step (from 1) and the
  // planned steps.
  std::function<void(const LrRangePoint&, int64_t step, int64_t steps)>
      on_point;
};

struct LrRangeResult {
  std::vector<LrRangePoint> points;  // one per step taken
  bool exploded = false;          // stopped early by the explode rule or a NaN
  double min_loss_lr = 0;         // rate at the minimum smoothed loss
  double steepest_lr = 0;         // rate at the steepest smoothed descent
  double suggested_max_rate = 0;  // min_loss_lr / 10
  bool cancelled = false;         // the cancel flag stopped it
};

// Most steps a range test may take (also bounds a job's stored curve).
inline constexpr int64_t kMaxLrRangeSteps = 100000;

// The options of config.lr_range_test (v1::LrRangeTestConfig) with the
// config's batch_size, shuffle and seed. INVALID_ARGUMENT naming the field
// ("<field>.lr_range_test.max_lr ...") for bad values, and for epochs,
// validation_split or callbacks, which a range test does not use.
absl::StatusOr<LrRangeOptions> LrRangeOptionsFromConfig(
    const v1::TrainConfig& config, std::string_view field = "");

// Builds the model from `spec` (its optimizer, with the rate overridden and
// any schedule dropped; its preprocessing) and runs the test on `train`.
// INVALID_ARGUMENT for bad options, spec or data.
absl::StatusOr<LrRangeResult> LrRangeTest(const v1::ModelSpec& spec,
                                          const Dataset& train,
                                          const LrRangeOptions& options);

// The suggestion from recorded points (exposed for tests and plots).
void SuggestFromPoints(LrRangeResult* result);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_HEALTH_LR_RANGE_TEST_H_
