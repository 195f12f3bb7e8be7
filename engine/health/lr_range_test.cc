#include "engine/health/lr_range_test.h"

#include <atomic>
#include <cmath>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/callbacks/callback.h"
#include "engine/model.h"
#include "engine/status_macros.h"

namespace profundo {
namespace {

// Sets the rate of step i to min * (max / min)^(i / (steps - 1)).
class ExponentialRate final : public Callback {
 public:
  ExponentialRate(double min_lr, double max_lr, int64_t steps)
      : min_lr_(min_lr), max_lr_(max_lr), steps_(steps) {}
  void OnBatchBegin(int64_t step, TrainingControl& ctl) override {
    const double t =
        steps_ > 1 ? static_cast<double>(step) / (steps_ - 1) : 0.0;
    ctl.optimizer().set_learning_rate(min_lr_ * std::pow(max_lr_ / min_lr_, t));
  }

 private:
  double min_lr_, max_lr_;
  int64_t steps_;
};

}  // namespace

absl::StatusOr<LrRangeOptions> LrRangeOptionsFromConfig(
    const v1::TrainConfig& config, std::string_view field) {
  const std::string prefix = field.empty() ? "" : std::string(field) + ".";
  const std::string test = prefix + "lr_range_test";
  const v1::LrRangeTestConfig& c = config.lr_range_test();
  LrRangeOptions o;
  if (c.min_lr() != 0) o.min_lr = c.min_lr();
  if (c.max_lr() != 0) o.max_lr = c.max_lr();
  if (!(o.min_lr > 0 && std::isfinite(o.min_lr))) {
    return absl::InvalidArgumentError(
        absl::StrCat(test, ".min_lr must be > 0 (0: 1e-5)"));
  }
  if (!(o.max_lr > o.min_lr && std::isfinite(o.max_lr))) {
    return absl::InvalidArgumentError(absl::StrCat(
        test, ".max_lr must be finite and > min_lr (", o.min_lr, ")"));
  }
  if (c.steps() < 0 || c.steps() > kMaxLrRangeSteps) {
    return absl::InvalidArgumentError(absl::StrCat(
        test, ".steps must be in [0, ", kMaxLrRangeSteps, "] (0: one epoch)"));
  }
  o.steps = c.steps();
  if (config.epochs() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, "epochs must be unset with ", test, " (it runs `steps`)"));
  }
  if (config.validation_split() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, "validation_split must be unset with ", test));
  }
  if (config.callbacks_size() > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, "callbacks must be empty with ", test,
        " (it sets the rate itself)"));
  }
  // batch_size and shuffle as a fit reads (and checks) them.
  PROFUNDO_ASSIGN_OR_RETURN(FitOptions fit,
                            FitOptionsFromConfig(config, false, field));
  o.batch_size = fit.batch_size;
  o.shuffle = fit.shuffle;
  if (config.has_seed()) o.seed = config.seed();
  return o;
}

void SuggestFromPoints(LrRangeResult* r) {
  r->min_loss_lr = r->steepest_lr = r->suggested_max_rate = 0;
  if (r->points.empty()) return;
  size_t best = 0;
  for (size_t i = 1; i < r->points.size(); ++i) {
    if (r->points[i].smoothed_loss < r->points[best].smoothed_loss) best = i;
  }
  r->min_loss_lr = r->points[best].lr;
  r->suggested_max_rate = r->min_loss_lr / 10.0;
  // Slopes over windows of at least a quarter decade, so that step-to-step
  // noise at small rates does not pass for a descent.
  const double window = 0.25 * std::log(10.0);
  double steepest = 0;
  r->steepest_lr = r->points[0].lr;
  size_t j = 0;
  for (size_t i = 1; i <= best; ++i) {
    const double li = std::log(r->points[i].lr);
    while (j + 1 < i && li - std::log(r->points[j + 1].lr) >= window) ++j;
    const double dx = li - std::log(r->points[j].lr);
    if (dx < window * (1 - 1e-9)) continue;
    const double slope =
        (r->points[i].smoothed_loss - r->points[j].smoothed_loss) / dx;
    if (slope < steepest) {
      steepest = slope;
      r->steepest_lr = r->points[i].lr;
    }
  }
}

absl::StatusOr<LrRangeResult> LrRangeTest(const v1::ModelSpec& spec,
                                          const Dataset& train,
                                          const LrRangeOptions& o) {
  if (!(o.min_lr > 0 && o.max_lr > o.min_lr && std::isfinite(o.max_lr))) {
    return absl::InvalidArgumentError(
        "LR range test needs 0 < min_lr < max_lr");
  }
  if (o.batch_size <= 0 || o.steps < 0) {
    return absl::InvalidArgumentError(
        "LR range test needs batch_size > 0 and steps >= 0");
  }
  if (!(o.smoothing >= 0 && o.smoothing < 1) || !(o.explode_factor > 1)) {
    return absl::InvalidArgumentError(
        "LR range test needs smoothing in [0, 1) and explode_factor > 1");
  }
  v1::ModelSpec fixed_rate = spec;
  fixed_rate.mutable_optimizer()->clear_learning_rate_schedule();
  PROFUNDO_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                            Model::Create(fixed_rate, o.seed));
  const int64_t per_epoch = (train.size() + o.batch_size - 1) / o.batch_size;
  const int64_t steps = o.steps > 0 ? o.steps : per_epoch;
  if (per_epoch == 0) return absl::InvalidArgumentError("train is empty");

  LrRangeResult result;
  std::atomic<bool> stop{false};
  double avg = 0, best = 0;
  FitOptions fit;
  fit.batch_size = o.batch_size;
  fit.epochs = static_cast<int>((steps + per_epoch - 1) / per_epoch);
  fit.shuffle = o.shuffle;
  fit.cancel = &stop;
  fit.callbacks.push_back(
      std::make_unique<ExponentialRate>(o.min_lr, o.max_lr, steps));
  fit.on_batch_end = [&](const Progress& p) {
    const size_t i = result.points.size();
    avg = o.smoothing * avg + (1 - o.smoothing) * p.batch_loss;
    const double smoothed =
        avg / (1 - std::pow(o.smoothing, static_cast<double>(i + 1)));
    result.points.push_back({p.learning_rate, p.batch_loss, smoothed});
    if (i == 0 || smoothed < best) best = smoothed;
    if (smoothed > o.explode_factor * best) {
      result.exploded = true;
      stop = true;
    }
    if (static_cast<int64_t>(result.points.size()) >= steps) stop = true;
    if (o.on_point) {
      o.on_point(result.points.back(), static_cast<int64_t>(i) + 1, steps);
    }
    if (o.cancel != nullptr && o.cancel->load() && !stop) {
      result.cancelled = true;
      stop = true;
    }
  };
  if (o.cancel != nullptr && o.cancel->load()) {
    result.cancelled = true;
    return result;
  }
  absl::StatusOr<History> h = model->Fit(train, std::move(fit));
  if (!h.ok()) {
    // A NaN/Inf loss after some steps is the end of the range, not an error.
    if (h.status().code() != absl::StatusCode::kFailedPrecondition ||
        result.points.empty()) {
      return h.status();
    }
    result.exploded = true;
  }
  SuggestFromPoints(&result);
  return result;
}

}  // namespace profundo
