#include "engine/callbacks/callback.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/callbacks/early_stopping.h"
#include "engine/callbacks/learning_rate_scheduler.h"
#include "engine/callbacks/one_cycle.h"
#include "engine/callbacks/reduce_lr_on_plateau.h"
#include "engine/field_checks.h"
#include "engine/status_macros.h"

namespace profundo {

std::optional<double> EpochLogs::Get(std::string_view key) const {
  if (key == "loss") return loss;
  if (key == "accuracy") return accuracy;
  if (key == "val_loss") return val_loss;
  if (key == "val_accuracy") return val_accuracy;
  if (key == "lr") return lr;
  return std::nullopt;
}

namespace {

// The monitored quantity and its direction, as ReduceLROnPlateau and
// EarlyStopping read them.
struct Monitor {
  std::string name;
  bool maximize = false;
};

absl::StatusOr<Monitor> ReadMonitor(const std::string& monitor,
                                    const std::string& mode,
                                    const std::string& path) {
  Monitor m;
  m.name = monitor.empty() ? "val_loss" : monitor;
  if (m.name != "loss" && m.name != "accuracy" && m.name != "val_loss" &&
      m.name != "val_accuracy") {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ".monitor must be one of loss, accuracy, val_loss, "
                     "val_accuracy (got \"",
                     m.name, "\")"));
  }
  if (mode.empty() || mode == "auto") {
    m.maximize = absl::StrContains(m.name, "acc");  // Keras's "auto"
  } else if (mode == "min" || mode == "max") {
    m.maximize = mode == "max";
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ".mode must be one of auto, min, max (got \"", mode, "\")"));
  }
  return m;
}

absl::Status RejectWithSchedule(bool optimizer_has_schedule,
                                const std::string& path) {
  if (!optimizer_has_schedule) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      path,
      " sets the learning rate and cannot be used with an optimizer "
      "learning_rate_schedule"));
}

absl::StatusOr<std::unique_ptr<Callback>> MakeReduceLROnPlateau(
    const v1::ReduceLROnPlateau& s, const std::string& p) {
  ReduceLROnPlateauOptions o;
  PROFUNDO_ASSIGN_OR_RETURN(Monitor m, ReadMonitor(s.monitor(), s.mode(), p));
  o.monitor = m.name;
  o.maximize = m.maximize;
  if (s.has_factor()) o.factor = s.factor();
  if (!(o.factor > 0 && o.factor < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(p, ".factor must be in (0, 1)"));
  }
  if (s.has_patience()) o.patience = s.patience();
  if (s.has_min_delta()) o.min_delta = s.min_delta();
  o.cooldown = s.cooldown();
  o.min_lr = s.min_lr();
  PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(o.patience, p + ".patience"));
  PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(o.min_delta, p + ".min_delta"));
  PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(o.cooldown, p + ".cooldown"));
  PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(o.min_lr, p + ".min_lr"));
  return std::make_unique<ReduceLROnPlateau>(std::move(o));
}

absl::StatusOr<std::unique_ptr<Callback>> MakeEarlyStopping(
    const v1::EarlyStopping& s, const std::string& p) {
  EarlyStoppingOptions o;
  PROFUNDO_ASSIGN_OR_RETURN(Monitor m, ReadMonitor(s.monitor(), s.mode(), p));
  o.monitor = m.name;
  o.maximize = m.maximize;
  o.patience = s.patience();
  o.min_delta = s.min_delta();
  o.restore_best_weights = s.restore_best_weights();
  PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(o.patience, p + ".patience"));
  PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(o.min_delta, p + ".min_delta"));
  return std::make_unique<EarlyStopping>(std::move(o));
}

absl::StatusOr<std::unique_ptr<Callback>> MakeLearningRateScheduler(
    const v1::LearningRateScheduler& s, const std::string& p) {
  switch (s.schedule_case()) {
    case v1::LearningRateScheduler::kExponential: {
      const v1::ExponentialPerEpoch& e = s.exponential();
      PROFUNDO_RETURN_IF_ERROR(CheckPositive(e.lr0(), p + ".exponential.lr0"));
      PROFUNDO_RETURN_IF_ERROR(CheckPositive(e.s(), p + ".exponential.s"));
      return std::make_unique<LearningRateScheduler>(
          LearningRateScheduler::Exponential(e.lr0(), e.s()));
    }
    case v1::LearningRateScheduler::kPiecewiseConstant: {
      const v1::PiecewiseConstantPerEpoch& pc = s.piecewise_constant();
      const std::string q = p + ".piecewise_constant";
      PROFUNDO_RETURN_IF_ERROR(CheckPiecewiseConstant(
          std::vector<double>(pc.boundaries().begin(), pc.boundaries().end()),
          std::vector<double>(pc.values().begin(), pc.values().end()), q));
      return std::make_unique<LearningRateScheduler>(
          LearningRateScheduler::PiecewiseConstant(
              std::vector<int>(pc.boundaries().begin(), pc.boundaries().end()),
              std::vector<double>(pc.values().begin(), pc.values().end())));
    }
    case v1::LearningRateScheduler::SCHEDULE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(p, " must set one of exponential, piecewise_constant"));
}

absl::StatusOr<std::unique_ptr<Callback>> MakeOneCycle(const v1::OneCycle& s,
                                                       const std::string& p) {
  OneCycleOptions o;
  o.max_rate = s.max_rate();
  PROFUNDO_RETURN_IF_ERROR(CheckPositive(o.max_rate, p + ".max_rate"));
  o.start_rate = s.has_start_rate() ? s.start_rate() : o.max_rate / 10;
  PROFUNDO_RETURN_IF_ERROR(CheckPositive(o.start_rate, p + ".start_rate"));
  o.last_rate = s.has_last_rate() ? s.last_rate() : o.start_rate / 1000;
  PROFUNDO_RETURN_IF_ERROR(CheckPositive(o.last_rate, p + ".last_rate"));
  if (s.has_last_fraction()) o.last_fraction = s.last_fraction();
  PROFUNDO_RETURN_IF_ERROR(
      CheckInHalfOpenRange(o.last_fraction, 0, 1, p + ".last_fraction"));
  if (s.has_max_momentum()) o.max_momentum = s.max_momentum();
  if (s.has_min_momentum()) o.min_momentum = s.min_momentum();
  PROFUNDO_RETURN_IF_ERROR(
      CheckInClosedRange(o.max_momentum, 0, 1, p + ".max_momentum"));
  PROFUNDO_RETURN_IF_ERROR(
      CheckInClosedRange(o.min_momentum, 0, 1, p + ".min_momentum"));
  return std::make_unique<OneCycle>(o);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Callback>> MakeCallback(
    const v1::Callback& spec, std::string_view field,
    bool optimizer_has_schedule) {
  const std::string f(field);
  switch (spec.kind_case()) {
    case v1::Callback::kReduceLrOnPlateau: {
      const std::string p = f + ".reduce_lr_on_plateau";
      PROFUNDO_RETURN_IF_ERROR(RejectWithSchedule(optimizer_has_schedule, p));
      return MakeReduceLROnPlateau(spec.reduce_lr_on_plateau(), p);
    }
    case v1::Callback::kEarlyStopping:
      return MakeEarlyStopping(spec.early_stopping(), f + ".early_stopping");
    case v1::Callback::kLearningRateScheduler: {
      const std::string p = f + ".learning_rate_scheduler";
      PROFUNDO_RETURN_IF_ERROR(RejectWithSchedule(optimizer_has_schedule, p));
      return MakeLearningRateScheduler(spec.learning_rate_scheduler(), p);
    }
    case v1::Callback::kOneCycle: {
      const std::string p = f + ".one_cycle";
      PROFUNDO_RETURN_IF_ERROR(RejectWithSchedule(optimizer_has_schedule, p));
      return MakeOneCycle(spec.one_cycle(), p);
    }
    case v1::Callback::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(f,
                   " must set one of reduce_lr_on_plateau, early_stopping, "
                   "learning_rate_scheduler, one_cycle"));
}

}  // namespace profundo
