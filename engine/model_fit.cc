// Model::Fit: Keras's training loop (epochs of shuffled mini-batches,
// validation, callbacks, history), with progress, cancellation and
// checkpoint/resume.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/flush_denormals.h"
#include "engine/layers/split_inner_product.h"
#include "engine/model.h"
#include "engine/pair_region.h"
#include "engine/parallel.h"
#include "engine/status_macros.h"
#include "engine/team_size_tuner.h"

namespace profundo {

bool Model::SplitsKernels(int64_t rows) const {
  return std::any_of(
      params_.params().begin(), params_.params().end(),
      [rows](const Parameter& p) {
        return p.rows_split() &&
               SplitInnerProduct::Applies(rows, p.shape[0], p.shape[1]);
      });
}

bool Model::StepFitsPairRegion(int64_t rows) {
  Context ctx{dnnl_, params_, rng_};
  const size_t first = first_trainable_layer_;
  // As BackwardBatch: the first trainable layer computes no diff_src, nor
  // the layer after it when the first takes column sums (a Dense with a
  // bias, as in the seed models; without one it would, on one thread).
  const bool sums =
      first + 1 < layers_.size() && layers_[first]->TakesColumnSums(ctx);
  for (size_t i = first_computing_layer_; i < layers_.size(); ++i) {
    const bool diff_src = i > first && !(sums && i == first + 1);
    if (layers_[i]->TeamDnnlMacs(rows, diff_src) > kPairRegionMaxDnnlMacs) {
      return false;
    }
  }
  return true;
}

int64_t Model::KernelHalvesInputColumns() const {
  const int64_t features = NumElements(batch_sample_shape_);
  for (const Parameter& p : params_.params()) {
    if (p.rows_split()) return p.shape[0] == features ? features : 0;
  }
  return 0;
}

// The running fit as callbacks see it.
class Model::FitControl final : public TrainingControl {
 public:
  FitControl(Model& model, int epochs, int64_t steps)
      : model_(model), epochs_(epochs), steps_(steps) {}
  Optimizer& optimizer() override { return *model_.optimizer_; }
  int epochs() const override { return epochs_; }
  int64_t steps_per_epoch() const override { return steps_; }
  void StopTraining() override { stop_ = true; }
  std::vector<float> GetWeights() const override { return model_.GetWeights(); }
  void SetWeights(const std::vector<float>& w) override { model_.SetWeights(w); }
  bool stop() const { return stop_; }
  void set_stop(bool stop) { stop_ = stop; }

 private:
  Model& model_;
  int epochs_;
  int64_t steps_;
  bool stop_ = false;
};

std::vector<float> Model::GetWeights() const {
  std::vector<float> w = params_.trainable_values();
  const auto& nt = params_.non_trainable_values();
  w.insert(w.end(), nt.begin(), nt.end());
  return w;
}

void Model::SetWeights(const std::vector<float>& weights) {
  auto& t = params_.trainable_values();
  auto& nt = params_.non_trainable_values();
  if (weights.size() != t.size() + nt.size()) return;
  std::copy(weights.begin(), weights.begin() + t.size(), t.begin());
  std::copy(weights.begin() + t.size(), weights.end(), nt.begin());
}

absl::StatusOr<FitOptions> FitOptionsFromConfig(const v1::TrainConfig& config,
                                                bool optimizer_has_schedule,
                                                std::string_view field) {
  const std::string prefix = field.empty() ? "" : std::string(field) + ".";
  FitOptions opts;
  if (config.epochs() < 0 || config.epochs() > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "epochs must be in [1, 100000]"));
  }
  opts.epochs = config.epochs() == 0 ? 1 : config.epochs();
  if (config.has_batch_size()) {
    if (config.batch_size() <= 0 || config.batch_size() > (1 << 20)) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "batch_size must be in [1, 1048576]"));
    }
    opts.batch_size = config.batch_size();
  }
  opts.shuffle = !config.has_shuffle() || config.shuffle();
  if (!(config.validation_split() >= 0.0 && config.validation_split() < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "validation_split must be in [0, 1)"));
  }
  opts.validation_split = config.validation_split();
  if (config.has_health_every_steps()) {
    if (config.health_every_steps() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix, "health_every_steps must be >= 0 (0: off)"));
    }
    opts.health_every = config.health_every_steps();
  } else {
    opts.health_every = kDefaultHealthEvery;
  }
  for (int i = 0; i < config.callbacks_size(); ++i) {
    PROFUNDO_ASSIGN_OR_RETURN(
        std::unique_ptr<Callback> cb,
        MakeCallback(config.callbacks(i),
                     absl::StrCat(prefix, "callbacks[", i, "]"),
                     optimizer_has_schedule));
    opts.callbacks.push_back(std::move(cb));
  }
  return opts;
}

absl::StatusOr<History> Model::Fit(const Dataset& train, FitOptions options) {
  ScopedFlushDenormals flush_denormals;  // as TensorFlow runs Keras's ops
  params_.MarkValuesChanged();  // the caller may have written weights
  if (options.epochs < 1) {
    return absl::InvalidArgumentError("epochs must be >= 1");
  }
  if (options.batch_size <= 0) {
    return absl::InvalidArgumentError("batch_size must be > 0");
  }
  if (!(options.validation_split >= 0 && options.validation_split < 1)) {
    return absl::InvalidArgumentError("validation_split must be in [0, 1)");
  }
  PROFUNDO_RETURN_IF_ERROR(CheckInputs(train.x, &train.y, "x"));
  if (options.validation_data != nullptr) {
    PROFUNDO_RETURN_IF_ERROR(CheckInputs(options.validation_data->x,
                                         &options.validation_data->y,
                                         "validation_data"));
  }

  // Keras: the last fraction is held out, before any shuffling. The
  // training rows are then train's first n: batches are gathered through
  // `order`, a permutation of [0, n), so train is read in place, as is
  // validation_data; only standardization copies them (Fashion-MNIST's x
  // is 172 MB).
  const int64_t n_all = train.size();
  int64_t n = n_all;
  Dataset held_out;  // the split's validation rows
  const Dataset* val = options.validation_data;
  if (val == nullptr && options.validation_split > 0) {
    n = static_cast<int64_t>(std::floor(n_all * (1.0 - options.validation_split)));
    if (n == 0 || n == n_all) {
      return absl::InvalidArgumentError(absl::StrCat(
          "validation_split ", options.validation_split, " of ", n_all,
          " samples leaves an empty training or validation set"));
    }
    held_out = Dataset{train.x.Rows(n, n_all), train.y.Rows(n, n_all)};
    val = &held_out;
  }

  History history;
  int start_epoch = 0;
  const int64_t steps = (n + options.batch_size - 1) / options.batch_size;
  FitControl control(*this, options.epochs, steps);
  for (auto& cb : options.callbacks) cb->OnTrainBegin(control);
  if (options.resume_from != nullptr) {
    bool stop = false;
    PROFUNDO_RETURN_IF_ERROR(RestoreCheckpoint(*options.resume_from,
                                               options.callbacks, &history,
                                               &start_epoch, &stop));
    control.set_stop(stop);
  } else if (spec_.preprocessing().standardize()) {
    standardizer_.Fit(train.x, n);
  }
  Dataset standardized_train, standardized_val;
  const Dataset* rows = &train;
  if (standardizer_.fitted()) {
    standardized_train = Dataset{train.x.Rows(0, n), train.y.Rows(0, n)};
    standardizer_.Apply(&standardized_train.x);
    rows = &standardized_train;
    if (val != nullptr) {
      standardized_val = val == &held_out ? std::move(held_out) : *val;
      standardizer_.Apply(&standardized_val.x);
      val = &standardized_val;
    }
  }
  const Dataset& data = *rows;
  const bool has_val = val != nullptr;

  const Shape y_sample(data.y.shape().begin() + 1, data.y.shape().end());
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), int64_t{0});
  Tensor y_batch;
  std::optional<HealthMonitor> health;
  if (options.health_every > 0 && options.on_health) {
    health.emplace(layers_, params_);
  }
  HealthReport report;
  const int team_size = omp_get_max_threads();
  TeamSizeTuner tuner(team_size);
  // Whether a step runs on a PairRegion: on a team of two that it uses,
  // decided once per row count (the full batches and the last one).
  std::map<int64_t, bool> pair_region_rows;
  auto on_pair_region = [&](int64_t step_rows, StepTeam mode) {
    if (team_size != 2 || mode == StepTeam::kOne || !PairRegion::Enabled()) {
      return false;
    }
    auto [it, added] = pair_region_rows.try_emplace(step_rows, false);
    if (added) it->second = StepFitsPairRegion(step_rows);
    return it->second;
  };
  for (int epoch = start_epoch; epoch < options.epochs && !control.stop();
       ++epoch) {
    for (auto& cb : options.callbacks) cb->OnEpochBegin(epoch, control);
    if (options.shuffle) rng_.Permutation(n, &order);
    EpochLogs logs;
    logs.epoch = epoch;
    double loss_sum = 0;
    int64_t correct = 0, counted = 0, seen = 0;
    StepTimes* times = nullptr;
    if (options.step_times != nullptr) {
      times = &options.step_times->emplace_back();
      times->layer_forward.assign(layers_.size(), 0.0);
      times->layer_backward.assign(layers_.size(), 0.0);
    }
    const auto epoch_start = std::chrono::steady_clock::now();
    auto epoch_seconds = [&epoch_start] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           epoch_start)
          .count();
    };
    for (int64_t step = 0; step < steps; ++step) {
      if (options.cancel != nullptr && options.cancel->load()) {
        history.cancelled = true;
        return history;
      }
      for (auto& cb : options.callbacks) {
        cb->OnBatchBegin(optimizer_->iterations(), control);
      }
      if (step == 0) logs.lr = optimizer_->current_learning_rate();
      const int64_t b = step * options.batch_size;
      const int64_t e = std::min(n, b + options.batch_size);
      const auto step_start = std::chrono::steady_clock::now();
      const bool halves = SplitsKernels(e - b);
      StepTeam mode = options.step_team.has_value()
                          ? *options.step_team
                          : tuner.ModeForStep(e - b, halves);
      if (mode == StepTeam::kKernelHalves && (!halves || team_size < 2)) {
        mode = StepTeam::kOne;  // nothing split, or one thread asked for
      }
      std::optional<ScopedStepTeam> team(std::in_place, mode, team_size,
                                         KernelHalvesInputColumns());
      const bool measure =
          health && optimizer_->iterations() % options.health_every == 0;
      // The step, up to its update; on a PairRegion where it pays (below).
      double loss = 0, lr = 0;
      auto train_step = [&] {
        {
          const ScopedStepTimer timer(times, &StepTimes::gather);
          GatherRows(data.x, &order, b, e, batch_sample_shape_, &BatchInput());
          GatherRows(data.y, &order, b, e, y_sample, &y_batch);
        }
        step_times_ = times;  // ForwardBatch and BackwardBatch time themselves
        const Tensor& out = ForwardBatch(Mode::kTrain);
        correct += CountCorrect(accuracy_kind_, out, y_batch);
        counted += CountedItems(accuracy_kind_, out);
        // A step whose health is measured keeps whole gradients (no early
        // updates): the report reads them before the update.
        loss = BackwardBatch(y_batch, /*early_updates=*/!measure);
        step_times_ = nullptr;
        if (!std::isfinite(loss)) return;
        lr = optimizer_->current_learning_rate();
        if (measure) {
          report.epoch = epoch;
          report.step = optimizer_->iterations();
          report.loss = loss;
          report.learning_rate = lr;
          health->BeforeStep(acts_, &report);
        }
        const ScopedStepTimer timer(times, &StepTimes::update);
        optimizer_->Step(params_);
      };
      if (on_pair_region(e - b, mode)) {
        PairRegion::Open(train_step);
      } else {
        train_step();
      }
      if (!std::isfinite(loss)) {
        optimizer_->CancelEarlyUpdates();
        return absl::FailedPreconditionError(absl::StrCat(
            "the loss became ", loss, " at epoch ", epoch + 1, ", step ",
            step + 1, " (global step ", optimizer_->iterations() + 1,
            "): training diverged; lower the learning rate or clip gradients"));
      }
      if (times != nullptr) ++times->steps;
      team.reset();
      tuner.StepTook(std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - step_start)
                         .count());
      if (measure) {
        health->AfterStep(&report);
        options.on_health(report);
      }
      loss_sum += loss * (e - b);
      seen += e - b;
      if (options.on_batch_end) {
        Progress p;
        p.epoch = epoch;
        p.epochs = options.epochs;
        p.batch = step + 1;
        p.batches = steps;
        p.loss = loss_sum / seen;
        p.accuracy = counted ? static_cast<double>(correct) / counted : 0.0;
        p.batch_loss = loss;
        p.learning_rate = lr;
        p.seconds = epoch_seconds();
        options.on_batch_end(p);
      }
    }
    history.seconds.push_back(epoch_seconds());
    logs.loss = loss_sum / n;
    logs.accuracy = counted ? static_cast<double>(correct) / counted : 0.0;
    if (has_val) {
      PROFUNDO_ASSIGN_OR_RETURN(Evaluation ev,
                                EvaluateStandardized(*val, options.batch_size));
      logs.val_loss = ev.loss;
      logs.val_accuracy = ev.accuracy;
    }
    logs.seconds = epoch_seconds();
    history.epochs.push_back(logs);
    for (auto& cb : options.callbacks) cb->OnEpochEnd(logs, control);
    if (control.stop()) history.stopped_early = true;
    if (options.on_epoch_end) options.on_epoch_end(logs);
    if (options.on_checkpoint) {
      options.on_checkpoint(MakeCheckpoint(options.callbacks, history,
                                           epoch + 1, control.stop()));
    }
  }
  history.stopped_early = control.stop();
  for (auto& cb : options.callbacks) cb->OnTrainEnd(control);
  return history;
}

}  // namespace profundo
