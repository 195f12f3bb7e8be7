#include "engine/callbacks/early_stopping.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/field_checks.h"
#include "engine/status_macros.h"

namespace profundo {

namespace {
constexpr size_t kFixedStateSize = 5;
}  // namespace

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : options_(std::move(options)),
      best_(options_.maximize ? -std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::infinity()) {}

bool EarlyStopping::Improved(double current) const {
  if (options_.maximize) return current - options_.min_delta > best_;
  return current + options_.min_delta < best_;
}

void EarlyStopping::OnEpochEnd(const EpochLogs& logs, TrainingControl& ctl) {
  const std::optional<double> current = logs.Get(options_.monitor);
  if (!current.has_value()) return;
  if (options_.restore_best_weights && !has_best_weights_) {
    // Keras: restore the first epoch's weights if nothing ever improves.
    best_weights_ = ctl.GetWeights();
    has_best_weights_ = true;
  }
  ++wait_;
  if (Improved(*current)) {
    best_ = *current;
    best_epoch_ = logs.epoch;
    if (options_.restore_best_weights) best_weights_ = ctl.GetWeights();
    wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && logs.epoch > 0) {
    stopped_epoch_ = logs.epoch;
    ctl.StopTraining();
    if (options_.restore_best_weights && has_best_weights_) {
      ctl.SetWeights(best_weights_);
    }
  }
}

std::vector<double> EarlyStopping::SaveState() const {
  std::vector<double> state = {
      static_cast<double>(wait_), static_cast<double>(stopped_epoch_), best_,
      static_cast<double>(best_epoch_), has_best_weights_ ? 1.0 : 0.0};
  if (has_best_weights_) {
    state.insert(state.end(), best_weights_.begin(), best_weights_.end());
  }
  return state;
}

absl::Status EarlyStopping::LoadState(const std::vector<double>& state) {
  if (state.size() < kFixedStateSize ||
      (state[4] == 0.0 && state.size() != kFixedStateSize)) {
    return absl::InvalidArgumentError(
        absl::StrCat("EarlyStopping state has a wrong size: ", state.size()));
  }
  PROFUNDO_RETURN_IF_ERROR(CheckCounter(state[0], "EarlyStopping wait"));
  PROFUNDO_RETURN_IF_ERROR(
      CheckCounter(state[1], "EarlyStopping stopped epoch"));
  PROFUNDO_RETURN_IF_ERROR(CheckCounter(state[3], "EarlyStopping best epoch"));
  wait_ = static_cast<int>(state[0]);
  stopped_epoch_ = static_cast<int>(state[1]);
  best_ = state[2];
  best_epoch_ = static_cast<int>(state[3]);
  has_best_weights_ = state[4] != 0.0;
  best_weights_.assign(state.begin() + kFixedStateSize, state.end());
  return absl::OkStatus();
}

}  // namespace profundo
