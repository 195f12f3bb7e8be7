#include "engine/callbacks/reduce_lr_on_plateau.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/field_checks.h"
#include "engine/status_macros.h"

namespace profundo {

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options)
    : options_(std::move(options)),
      best_(options_.maximize ? -std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::infinity()) {}

bool ReduceLROnPlateau::Improved(double current) const {
  if (options_.maximize) return current > best_ + options_.min_delta;
  return current < best_ - options_.min_delta;
}

void ReduceLROnPlateau::OnEpochEnd(const EpochLogs& logs,
                                   TrainingControl& ctl) {
  const std::optional<double> current = logs.Get(options_.monitor);
  if (!current.has_value()) return;
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (Improved(*current)) {
    best_ = *current;
    wait_ = 0;
    return;
  }
  if (cooldown_counter_ > 0) return;
  ++wait_;
  if (wait_ < options_.patience) return;
  Optimizer& optimizer = ctl.optimizer();
  const double old_lr = optimizer.learning_rate();
  if (old_lr > options_.min_lr) {
    optimizer.set_learning_rate(
        std::max(old_lr * options_.factor, options_.min_lr));
    cooldown_counter_ = options_.cooldown;
    wait_ = 0;
  }
}

std::vector<double> ReduceLROnPlateau::SaveState() const {
  return {best_, static_cast<double>(wait_),
          static_cast<double>(cooldown_counter_)};
}

absl::Status ReduceLROnPlateau::LoadState(const std::vector<double>& state) {
  if (state.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ReduceLROnPlateau state must have 3 values, got ", state.size()));
  }
  PROFUNDO_RETURN_IF_ERROR(CheckCounter(state[1], "ReduceLROnPlateau wait"));
  PROFUNDO_RETURN_IF_ERROR(
      CheckCounter(state[2], "ReduceLROnPlateau cooldown counter"));
  best_ = state[0];
  wait_ = static_cast<int>(state[1]);
  cooldown_counter_ = static_cast<int>(state[2]);
  return absl::OkStatus();
}

}  // namespace profundo
