#include "server/training_run.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/status_macros.h"
#include "server/time_util.h"

namespace profundo::server {
namespace {

constexpr uint64_t kDefaultSeed = 42;

// An event file error as the job's failure message.
absl::Status TensorBoardError(const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("tensorboard: ", s.message()));
}

v1::LrRangeTestResult ToProto(const LrRangeResult& r) {
  v1::LrRangeTestResult out;
  for (const LrRangePoint& p : r.points) {
    out.add_learning_rate(p.lr);
    out.add_loss(p.loss);
    out.add_smoothed_loss(p.smoothed_loss);
  }
  out.set_exploded(r.exploded);
  out.set_min_loss_lr(r.min_loss_lr);
  out.set_steepest_lr(r.steepest_lr);
  out.set_suggested_max_rate(r.suggested_max_rate);
  return out;
}

}  // namespace

v1::EpochMetrics ToProto(const EpochLogs& logs) {
  v1::EpochMetrics m;
  m.set_epoch(logs.epoch);
  m.set_loss(logs.loss);
  m.set_accuracy(logs.accuracy);
  if (logs.val_loss.has_value()) m.set_val_loss(*logs.val_loss);
  if (logs.val_accuracy.has_value()) m.set_val_accuracy(*logs.val_accuracy);
  m.set_lr(logs.lr);
  m.set_seconds(logs.seconds);
  return m;
}

TrainingRun::TrainingRun(Deps deps, JobRecord* job,
                         const std::atomic<bool>* cancel)
    : deps_(deps), job_(job), cancel_(cancel), health_(job->job.health()) {}

TrainingRun::Outcome TrainingRun::Run() {
  absl::Status status;
  bool cancelled = false;
  std::optional<v1::LrRangeTestResult> range_test;
  std::optional<v1::EpochMetrics> final_metrics;
  if (job_->job.config().has_lr_range_test()) {
    absl::StatusOr<LrRangeResult> result = RangeTest();
    status = result.status();
    if (result.ok()) {
      cancelled = result->cancelled;
      range_test = ToProto(*result);
    }
  } else {
    absl::StatusOr<History> history = Fit();
    status = history.status();
    if (history.ok()) {
      cancelled = history->cancelled;
      if (!history->epochs.empty()) {
        final_metrics = ToProto(history->epochs.back());
      }
    }
  }
  Outcome outcome;
  if (!storage_error_.ok()) {
    outcome.status = storage_error_;
  } else if (!status.ok()) {
    outcome.status = status;
  } else if (cancelled) {
    outcome.cancelled = true;
  } else {
    outcome.weights_blob = weights_blob_;
    if (final_metrics) outcome.final_metrics = *final_metrics;
    if (range_test) *job_->job.mutable_lr_range_test() = *range_test;
  }
  return outcome;
}

absl::StatusOr<Dataset> TrainingRun::LoadDataset(const std::string& id,
                                                 const char* field) {
  PROFUNDO_ASSIGN_OR_RETURN(DatasetRecord record,
                            deps_.datasets->GetRecord(id, field));
  return deps_.datasets->Load(record);
}

absl::StatusOr<LrRangeResult> TrainingRun::RangeTest() {
  const v1::Job& job = job_->job;
  PROFUNDO_ASSIGN_OR_RETURN(Dataset train,
                            LoadDataset(job.dataset_id(), "dataset_id"));
  PROFUNDO_ASSIGN_OR_RETURN(LrRangeOptions options,
                            LrRangeOptionsFromConfig(job.config(), "config"));
  stop_ = cancel_->load();
  options.cancel = &stop_;
  options.on_point = [this](const LrRangePoint& p, int64_t step,
                            int64_t steps) { OnRangePoint(p, step, steps); };
  return LrRangeTest(job.spec(), train, options);
}

absl::StatusOr<History> TrainingRun::Fit() {
  const v1::Job& job = job_->job;
  PROFUNDO_ASSIGN_OR_RETURN(Dataset train,
                            LoadDataset(job.dataset_id(), "dataset_id"));
  std::optional<Dataset> validation;
  if (!job.validation_dataset_id().empty()) {
    PROFUNDO_ASSIGN_OR_RETURN(validation,
                              LoadDataset(job.validation_dataset_id(),
                                          "validation_dataset_id"));
  }
  const uint64_t seed =
      job.config().has_seed() ? job.config().seed() : kDefaultSeed;
  PROFUNDO_ASSIGN_OR_RETURN(std::unique_ptr<Model> model,
                            Model::Create(job.spec(), seed));
  PROFUNDO_ASSIGN_OR_RETURN(
      FitOptions fit,
      FitOptionsFromConfig(job.config(),
                           job.spec().optimizer().has_learning_rate_schedule(),
                           "config"));
  if (validation.has_value()) fit.validation_data = &*validation;
  stop_ = cancel_->load();
  fit.cancel = &stop_;
  fit.on_batch_end = [this](const Progress& p) { OnBatchEnd(p); };
  if (job.config().tensorboard()) {
    // Only the server's dir and the validated job id (a-z, 0-9, '-').
    absl::StatusOr<std::unique_ptr<TensorBoard>> tb =
        TensorBoard::Create(deps_.tensorboard_dir + "/" + job.id());
    if (!tb.ok()) return TensorBoardError(tb.status());
    tensorboard_ = *std::move(tb);
  }
  fit.on_epoch_end = [this](const EpochLogs& logs) { OnEpochEnd(logs); };
  fit.on_checkpoint = [this](const std::string& b) { OnCheckpoint(b); };
  if (fit.health_every > 0) {
    fit.on_health = [this](const HealthReport& r) { OnHealth(r); };
  }
  std::string checkpoint;
  if (!job_->checkpoint_blob.empty()) {
    PROFUNDO_ASSIGN_OR_RETURN(checkpoint,
                              deps_.blobs->Get(job_->checkpoint_blob));
    fit.resume_from = &checkpoint;
  }
  PROFUNDO_ASSIGN_OR_RETURN(History history, model->Fit(train, std::move(fit)));
  if (!history.cancelled && storage_error_.ok()) {
    absl::StatusOr<std::string> weights = model->Save();
    if (!weights.ok()) return weights.status();
    // Store the weights now, while the model is at hand; JobManager commits
    // the reference with the job's final state.
    absl::StatusOr<std::string> key = deps_.blobs->Put("weights", *weights);
    if (!key.ok()) {
      Fail(key.status());
    } else {
      weights_blob_ = *key;
    }
  }
  return history;
}

absl::Status TrainingRun::Record(v1::JobEvent* event) {
  if (event != nullptr) *event->mutable_time() = ToProtoTime(absl::Now());
  PROFUNDO_RETURN_IF_ERROR(deps_.catalog->UpdateJob(job_, event));
  if (event != nullptr) deps_.hub->Notify(job_->job.id());
  return absl::OkStatus();
}

void TrainingRun::Fail(const absl::Status& status) {
  if (storage_error_.ok()) storage_error_ = status;
  stop_ = true;
}

bool TrainingRun::ProgressDue(bool last) {
  const absl::Time now = absl::Now();
  if (!last && now - last_progress_ < deps_.progress_interval) return false;
  last_progress_ = now;
  return true;
}

void TrainingRun::OnBatchEnd(const Progress& p) {
  if (cancel_->load()) stop_ = true;
  if (!ProgressDue(p.batch == p.batches)) return;
  v1::JobEvent event;
  v1::BatchProgress* progress = event.mutable_batch_progress();
  progress->set_epoch(p.epoch);
  progress->set_epochs(p.epochs);
  progress->set_batch(p.batch);
  progress->set_batches(p.batches);
  progress->set_loss(p.loss);
  progress->set_accuracy(p.accuracy);
  progress->set_seconds(p.seconds);
  absl::Status s = Record(&event);
  if (!s.ok()) Fail(s);
}

void TrainingRun::OnEpochEnd(const EpochLogs& logs) {
  v1::Job& job = job_->job;
  // A resumed run may repeat an epoch recorded before a crash: replace it.
  while (job.history_size() > logs.epoch) job.mutable_history()->RemoveLast();
  *job.add_history() = ToProto(logs);
  job.set_epochs_completed(logs.epoch + 1);
  v1::JobEvent event;
  *event.mutable_epoch_end() = ToProto(logs);
  absl::Status s = Record(&event);
  if (!s.ok()) return Fail(s);
  if (tensorboard_ != nullptr) {
    s = tensorboard_->OnEpochEnd(logs);
    if (!s.ok()) Fail(TensorBoardError(s));
  }
}

void TrainingRun::OnRangePoint(const LrRangePoint& point, int64_t step,
                               int64_t steps) {
  if (cancel_->load()) stop_ = true;
  if (!ProgressDue(step == steps)) return;
  v1::JobEvent event;
  v1::LrRangePoint* p = event.mutable_lr_range_point();
  p->set_step(step);
  p->set_steps(steps);
  p->set_learning_rate(point.lr);
  p->set_loss(point.loss);
  p->set_smoothed_loss(point.smoothed_loss);
  absl::Status s = Record(&event);
  if (!s.ok()) Fail(s);
}

void TrainingRun::OnHealth(const HealthReport& report) {
  for (v1::JobEvent& event :
       health_.OnReport(report, job_->job.mutable_health())) {
    absl::Status s = Record(&event);
    if (!s.ok()) return Fail(s);
  }
}

void TrainingRun::OnCheckpoint(const std::string& bytes) {
  absl::StatusOr<std::string> key = deps_.blobs->Put("checkpoint", bytes);
  if (!key.ok()) return Fail(key.status());
  std::string old = std::exchange(job_->checkpoint_blob, *key);
  const int old_epochs = job_->job.checkpoint_epochs();
  job_->job.set_checkpoint_epochs(job_->job.epochs_completed());
  absl::Status s = Record(nullptr);
  if (!s.ok()) {
    job_->job.set_checkpoint_epochs(old_epochs);
    job_->checkpoint_blob = old;
    deps_.blobs->Delete(*key).IgnoreError();
    return Fail(s);
  }
  if (!old.empty()) deps_.blobs->Delete(old).IgnoreError();
}

}  // namespace profundo::server
