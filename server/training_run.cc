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

}  // namespace

v1::EpochMetrics ToProto(const EpochLogs& logs) {
  v1::EpochMetrics m;
  m.set_epoch(logs.epoch);
  m.set_loss(logs.loss);
  m.set_accuracy(logs.accuracy);
  if (logs.val_loss.has_value()) m.set_val_loss(*logs.val_loss);
  if (logs.val_accuracy.has_value()) m.set_val_accuracy(*logs.val_accuracy);
  m.set_lr(logs.lr);
  return m;
}

TrainingRun::TrainingRun(Deps deps, JobRecord* job,
                         const std::atomic<bool>* cancel)
    : deps_(deps), job_(job), cancel_(cancel) {}

TrainingRun::Outcome TrainingRun::Run() {
  Outcome outcome;
  absl::StatusOr<History> history = Fit();
  if (!storage_error_.ok()) {
    outcome.status = storage_error_;
  } else if (!history.ok()) {
    outcome.status = history.status();
  } else if (history->cancelled) {
    outcome.cancelled = true;
  } else {
    outcome.weights_blob = weights_blob_;
    if (!history->epochs.empty()) {
      outcome.final_metrics = ToProto(history->epochs.back());
    }
  }
  return outcome;
}

absl::StatusOr<History> TrainingRun::Fit() {
  const v1::Job& job = job_->job;
  PROFUNDO_ASSIGN_OR_RETURN(DatasetRecord train_record,
                            deps_.datasets->GetRecord(job.dataset_id(),
                                                      "dataset_id"));
  PROFUNDO_ASSIGN_OR_RETURN(Dataset train,
                            deps_.datasets->Load(train_record));
  std::optional<Dataset> validation;
  if (!job.validation_dataset_id().empty()) {
    PROFUNDO_ASSIGN_OR_RETURN(
        DatasetRecord record,
        deps_.datasets->GetRecord(job.validation_dataset_id(),
                                  "validation_dataset_id"));
    PROFUNDO_ASSIGN_OR_RETURN(validation, deps_.datasets->Load(record));
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
  fit.on_epoch_end = [this](const EpochLogs& logs) { OnEpochEnd(logs); };
  fit.on_checkpoint = [this](const std::string& b) { OnCheckpoint(b); };
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

void TrainingRun::OnBatchEnd(const Progress& p) {
  if (cancel_->load()) stop_ = true;
  const absl::Time now = absl::Now();
  if (p.batch != p.batches && now - last_progress_ < deps_.progress_interval) {
    return;
  }
  last_progress_ = now;
  v1::JobEvent event;
  v1::BatchProgress* progress = event.mutable_batch_progress();
  progress->set_epoch(p.epoch);
  progress->set_epochs(p.epochs);
  progress->set_batch(p.batch);
  progress->set_batches(p.batches);
  progress->set_loss(p.loss);
  progress->set_accuracy(p.accuracy);
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
  if (!s.ok()) Fail(s);
}

void TrainingRun::OnCheckpoint(const std::string& bytes) {
  absl::StatusOr<std::string> key = deps_.blobs->Put("checkpoint", bytes);
  if (!key.ok()) return Fail(key.status());
  std::string old = std::exchange(job_->checkpoint_blob, *key);
  absl::Status s = Record(nullptr);
  if (!s.ok()) {
    job_->checkpoint_blob = old;
    deps_.blobs->Delete(*key).IgnoreError();
    return Fail(s);
  }
  if (!old.empty()) deps_.blobs->Delete(old).IgnoreError();
}

}  // namespace profundo::server
