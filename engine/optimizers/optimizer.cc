#include "engine/optimizers/optimizer.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/field_checks.h"
#include "engine/mixed_precision/bfloat16.h"
#include "engine/optimizers/adagrad.h"
#include "engine/optimizers/adam.h"
#include "engine/optimizers/adamax.h"
#include "engine/optimizers/nadam.h"
#include "engine/optimizers/rmsprop.h"
#include "engine/optimizers/sgd.h"
#include "engine/status_macros.h"

namespace profundo {

Optimizer::Optimizer(OptimizerOptions options) : options_(std::move(options)) {}

double Optimizer::learning_rate() const {
  if (options_.schedule != nullptr) return (*options_.schedule)(iterations_);
  return options_.learning_rate;
}

double Optimizer::current_learning_rate() const {
  // Legacy `decay` (tf.keras 2.x): on top of the constant or scheduled rate,
  // with the step counted from 0 before the update.
  return learning_rate() /
         (1.0 + options_.decay * static_cast<double>(iterations_));
}

void Optimizer::set_learning_rate(double lr) {
  options_.schedule.reset();
  options_.learning_rate = lr;
}

std::vector<std::pair<std::string, std::vector<float>*>> Optimizer::slots() {
  if (slot_names_.empty()) {
    slot_names_ = SlotNames();
    slots_.resize(slot_names_.size());
  }
  std::vector<std::pair<std::string, std::vector<float>*>> out;
  out.reserve(slots_.size());
  for (size_t i = 0; i < slots_.size(); ++i) {
    out.emplace_back(slot_names_[i], &slots_[i]);
  }
  return out;
}

absl::Status Optimizer::set_scalars(const std::map<std::string, double>& s) {
  if (s.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "checkpoint optimizer state \"", s.begin()->first, "\" is not a ",
      name(), " state"));
}

void Optimizer::EnsureSlots(int64_t n) {
  if (slot_names_.empty()) {
    slot_names_ = SlotNames();
    slots_.resize(slot_names_.size());
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (static_cast<int64_t>(slots_[i].size()) != n) {
      slots_[i].assign(n, SlotInitialValue(static_cast<int>(i)));
    }
  }
}

void Optimizer::Clip(ParameterStore& store) {
  std::vector<float>& grads = store.grads();
  const int64_t n = static_cast<int64_t>(grads.size());
  float* g = grads.data();
  if (options_.clipvalue.has_value()) {
    const float c = static_cast<float>(*options_.clipvalue);
    for (int64_t i = 0; i < n; ++i) g[i] = std::min(std::max(g[i], -c), c);
  }
  // tf.clip_by_norm / clip_by_global_norm: g * c / max(||g||, c).
  auto scale_by_norm = [](float* x, int64_t len, double c) {
    double sum_sq = 0;
    for (int64_t i = 0; i < len; ++i) sum_sq += double{x[i]} * x[i];
    const double norm = std::sqrt(sum_sq);
    if (norm <= c) return;
    const float scale = static_cast<float>(c / norm);
    for (int64_t i = 0; i < len; ++i) x[i] *= scale;
  };
  if (options_.clipnorm.has_value()) {
    for (const Parameter& p : store.params()) {
      if (p.trainable) scale_by_norm(g + p.offset, p.size, *options_.clipnorm);
    }
  }
  if (options_.global_clipnorm.has_value()) {
    scale_by_norm(g, n, *options_.global_clipnorm);
  }
}

bool Optimizer::UpdatedEarly(const Parameter& p, int id) const {
  return early_ && p.trainable &&
         std::find(early_ids_.begin(), early_ids_.end(), id) !=
             early_ids_.end();
}

void Optimizer::PlanHalves(const ParameterStore& store, int64_t n,
                           bool mirror) {
  int64_t claimed_lines[2] = {0, 0}, unclaimed[2] = {0, 0};
  for (HalvesShare& share : step_share_) {
    share.claimed.clear();  // keeps the capacity: no allocation per step
    share.unclaimed.clear();
  }
  auto add = [&](int t, int64_t begin, int64_t end) {
    if (begin >= end) return;
    // Every range but the one at 0 begins where a split half ends.
    const int64_t split =
        mirror || begin == 0 ? begin : std::min(end, begin + kClaimElements);
    if (split > begin) {
      step_share_[t].claimed.emplace_back(begin, split);
      claimed_lines[t] += (split - begin + kLineFloats - 1) / kLineFloats;
    }
    if (end > split) {
      step_share_[t].unclaimed.emplace_back(split, end);
      unclaimed[t] += end - split;
    }
  };
  // Thread 1: the split kernels' second halves; thread 0: the gaps between
  // them (ascending: trainable offsets grow with the parameter id). A
  // parameter updated early is a gap of nobody's.
  int64_t at = 0;
  const std::vector<Parameter>& params = store.params();
  for (size_t id = 0; id < params.size(); ++id) {
    const Parameter& p = params[id];
    if (UpdatedEarly(p, static_cast<int>(id))) {
      add(0, at, p.offset);
    } else if (p.rows_split()) {
      const int64_t half = p.offset + p.split_row * p.shape[1];
      add(0, at, half);
      add(1, half, p.offset + p.size);
    } else {
      continue;
    }
    at = p.offset + p.size;
  }
  add(0, at, n);
  for (int t = 0; t < 2; ++t) {
    int64_t& per_chunk = step_share_[t].claim_per_chunk;
    if (claimed_lines[t] == 0) {
      per_chunk = 0;
    } else if (unclaimed[t] == 0) {
      per_chunk = 2 * kClaimChunk / kLineFloats;  // twice the update's pace
    } else {
      per_chunk = (claimed_lines[t] * kClaimChunk + unclaimed[t] - 1) /
                  unclaimed[t];
    }
  }
}

void Optimizer::ApplyAt(int64_t begin, int64_t end, const float* g) const {
  if (begin >= end) return;
  float* slot[kMaxSlots];
  for (size_t i = 0; i < slots_.size(); ++i) slot[i] = step_slots_[i] + begin;
  Apply(step_w_ + begin, g, slot, end - begin);
}

void Optimizer::UpdateRanges(const Ranges& ranges, const float* g) {
  auto run = [&](int64_t begin, int64_t end) {
    if (begin >= end) return;
    if (step_w_bf16_ == nullptr) return ApplyAt(begin, end, g + begin);
    for (int64_t b = begin; b < end; b += kMirrorChunk) {
      const int64_t e = std::min(end, b + kMirrorChunk);
      ApplyAt(b, e, g + b);
      FloatToBfloat16Serial(step_w_ + b, step_w_bf16_ + b, e - b);
    }
  };
  if (!in_halves_step_) {
    int64_t total = 0;
    for (const auto& [begin, end] : ranges) total += end - begin;
    // [b, e) of the ranges laid end to end.
    return ParallelRanges(total, [&](int64_t b, int64_t e) {
      int64_t at = 0;
      for (const auto& [begin, end] : ranges) {
        const int64_t lo = std::max(b, at), hi = std::min(e, at + end - begin);
        if (lo < hi) run(begin + lo - at, begin + hi - at);
        at += end - begin;
      }
    });
  }
  RunHalves([&](int t) {
    const HalvesShare& share = step_share_[t];
    LineClaimer claimer(step_w_, share.claimed);
    auto update = [&](const Ranges& ranges) {
      for (const auto& [begin, end] : ranges) {
        for (int64_t b = begin; b < end; b += kClaimChunk) {
          claimer.Next(share.claim_per_chunk);
          run(b, std::min(end, b + kClaimChunk));
        }
      }
    };
    update(share.unclaimed);
    update(share.claimed);
  });
}

void Optimizer::BeginStep(ParameterStore& store) {
  const double lr = current_learning_rate();
  EnsureSlots(store.trainable_count());
  for (size_t i = 0; i < slots_.size(); ++i) step_slots_[i] = slots_[i].data();
  step_w_ = store.trainable_values().data();  // marks the mirror stale
  Prepare(lr, iterations_ + 1);
}

bool Optimizer::BeginEarlyUpdates(ParameterStore& store) {
  CancelEarlyUpdates();
  if (options_.clipvalue.has_value() || options_.clipnorm.has_value() ||
      options_.global_clipnorm.has_value() || store.has_bfloat16_mirror()) {
    return false;
  }
  BeginStep(store);
  early_ = true;
  return true;
}

void Optimizer::CancelEarlyUpdates() {
  early_ = false;
  early_ids_.clear();
}

void Optimizer::Step(ParameterStore& store) {
  const int64_t n = store.trainable_count();
  if (!early_) {
    Clip(store);
    BeginStep(store);
  }
  const float* g = store.grads().data();
  uint16_t* w_bf16 =
      store.has_bfloat16_mirror() ? store.bfloat16_values() : nullptr;
  step_w_bf16_ = w_bf16;
  in_halves_step_ = InKernelHalvesStep();
  const std::vector<Parameter>& params = store.params();
  if (in_halves_step_) {
    PlanHalves(store, n, w_bf16 != nullptr);
  } else {
    // The gaps between the parameters updated early.
    ranges_left_.clear();
    int64_t at = 0;
    for (size_t id = 0; id < params.size(); ++id) {
      const Parameter& p = params[id];
      if (!UpdatedEarly(p, static_cast<int>(id))) continue;
      if (p.offset > at) ranges_left_.emplace_back(at, p.offset);
      at = p.offset + p.size;
    }
    if (n > at) ranges_left_.emplace_back(at, n);
  }
  UpdateRanges(ranges_left_, g);
  step_w_ = nullptr;
  step_w_bf16_ = nullptr;
  in_halves_step_ = false;
  CancelEarlyUpdates();
  ++iterations_;
  for (size_t id = 0; id < params.size(); ++id) {
    const Parameter& p = params[id];
    if (p.trainable && p.constraint.has_value()) {
      const int i = static_cast<int>(id);
      p.constraint->Apply(store.value(i), p.shape);
      if (w_bf16 != nullptr) {
        FloatToBfloat16(store.value(i), store.bfloat16_value(i), p.size);
      }
    }
  }
  if (w_bf16 != nullptr) store.set_bfloat16_mirror_current();
}

namespace {

// beta_1, beta_2 and epsilon of Adam, Adamax and Nadam, with Keras's
// defaults and checks.
struct Betas {
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
};

template <typename Spec>
absl::StatusOr<Betas> ReadBetas(const Spec& spec, const std::string& path) {
  Betas b;
  if (spec.has_beta_1()) b.beta_1 = spec.beta_1();
  if (spec.has_beta_2()) b.beta_2 = spec.beta_2();
  if (spec.has_epsilon()) b.epsilon = spec.epsilon();
  PROFUNDO_RETURN_IF_ERROR(
      CheckInHalfOpenRange(b.beta_1, 0, 1, path + ".beta_1"));
  PROFUNDO_RETURN_IF_ERROR(
      CheckInHalfOpenRange(b.beta_2, 0, 1, path + ".beta_2"));
  PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(b.epsilon, path + ".epsilon"));
  return b;
}

absl::StatusOr<OptimizerOptions> ReadCommonOptions(const v1::Optimizer& spec,
                                                   const std::string& f) {
  OptimizerOptions o;
  const bool is_sgd = spec.kind_case() == v1::Optimizer::kSgd ||
                      spec.kind_case() == v1::Optimizer::KIND_NOT_SET;
  o.learning_rate = is_sgd ? 0.01 : 0.001;
  if (spec.has_learning_rate()) {
    PROFUNDO_RETURN_IF_ERROR(
        CheckPositive(spec.learning_rate(), f + ".learning_rate"));
    o.learning_rate = spec.learning_rate();
  }
  if (spec.has_learning_rate_schedule()) {
    if (spec.has_learning_rate()) {
      return absl::InvalidArgumentError(
          absl::StrCat(f, ".learning_rate and ", f,
                       ".learning_rate_schedule cannot both be set"));
    }
    PROFUNDO_ASSIGN_OR_RETURN(
        o.schedule, MakeLearningRateSchedule(spec.learning_rate_schedule(),
                                             f + ".learning_rate_schedule"));
  }
  if (spec.has_clipvalue()) {
    PROFUNDO_RETURN_IF_ERROR(CheckPositive(spec.clipvalue(), f + ".clipvalue"));
    o.clipvalue = spec.clipvalue();
  }
  if (spec.has_clipnorm()) {
    PROFUNDO_RETURN_IF_ERROR(CheckPositive(spec.clipnorm(), f + ".clipnorm"));
    o.clipnorm = spec.clipnorm();
  }
  if (spec.has_global_clipnorm()) {
    if (spec.has_clipnorm()) {
      // Keras: "At most one of `clipnorm` and `global_clipnorm` can be set."
      return absl::InvalidArgumentError(absl::StrCat(
          f, ".clipnorm and ", f, ".global_clipnorm cannot both be set"));
    }
    PROFUNDO_RETURN_IF_ERROR(
        CheckPositive(spec.global_clipnorm(), f + ".global_clipnorm"));
    o.global_clipnorm = spec.global_clipnorm();
  }
  PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(spec.decay(), f + ".decay"));
  o.decay = spec.decay();
  return o;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Optimizer>> MakeOptimizer(
    const v1::Optimizer& spec, std::string_view field) {
  const std::string f(field);
  PROFUNDO_ASSIGN_OR_RETURN(OptimizerOptions o, ReadCommonOptions(spec, f));
  switch (spec.kind_case()) {
    case v1::Optimizer::KIND_NOT_SET:
      return std::make_unique<SGD>(std::move(o), 0.0, false);
    case v1::Optimizer::kSgd: {
      const v1::SGD& s = spec.sgd();
      PROFUNDO_RETURN_IF_ERROR(
          CheckInClosedRange(s.momentum(), 0, 1, f + ".sgd.momentum"));
      return std::make_unique<SGD>(std::move(o), s.momentum(), s.nesterov());
    }
    case v1::Optimizer::kAdagrad: {
      const v1::Adagrad& s = spec.adagrad();
      const double init = s.has_initial_accumulator_value()
                              ? s.initial_accumulator_value()
                              : 0.1;
      const double eps = s.has_epsilon() ? s.epsilon() : 1e-7;
      PROFUNDO_RETURN_IF_ERROR(
          CheckNonNegative(init, f + ".adagrad.initial_accumulator_value"));
      PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(eps, f + ".adagrad.epsilon"));
      return std::make_unique<Adagrad>(std::move(o), init, eps);
    }
    case v1::Optimizer::kRmsprop: {
      const v1::RMSprop& s = spec.rmsprop();
      const double rho = s.has_rho() ? s.rho() : 0.9;
      const double eps = s.has_epsilon() ? s.epsilon() : 1e-7;
      PROFUNDO_RETURN_IF_ERROR(
          CheckInHalfOpenRange(rho, 0, 1, f + ".rmsprop.rho"));
      PROFUNDO_RETURN_IF_ERROR(
          CheckInClosedRange(s.momentum(), 0, 1, f + ".rmsprop.momentum"));
      PROFUNDO_RETURN_IF_ERROR(CheckNonNegative(eps, f + ".rmsprop.epsilon"));
      return std::make_unique<RMSprop>(std::move(o), rho, s.momentum(), eps,
                                       s.centered());
    }
    case v1::Optimizer::kAdam: {
      PROFUNDO_ASSIGN_OR_RETURN(Betas b, ReadBetas(spec.adam(), f + ".adam"));
      return std::make_unique<Adam>(std::move(o), b.beta_1, b.beta_2, b.epsilon,
                                    spec.adam().amsgrad());
    }
    case v1::Optimizer::kAdamax: {
      PROFUNDO_ASSIGN_OR_RETURN(Betas b,
                                ReadBetas(spec.adamax(), f + ".adamax"));
      return std::make_unique<Adamax>(std::move(o), b.beta_1, b.beta_2,
                                      b.epsilon);
    }
    case v1::Optimizer::kNadam: {
      PROFUNDO_ASSIGN_OR_RETURN(Betas b, ReadBetas(spec.nadam(), f + ".nadam"));
      return std::make_unique<Nadam>(std::move(o), b.beta_1, b.beta_2,
                                     b.epsilon);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(f, " has an unknown optimizer kind"));
}

}  // namespace profundo
