// TrainingRun: one attempt at training one job, on the worker thread that
// calls Run(). It loads the datasets, builds the Model (owned by this run
// and used only on this thread: the oneDNN rule, see worker_pool.h), resumes
// from the job's last checkpoint if it has one, and fits, recording as it
// goes: per-epoch history and events, throttled batch progress events,
// per-layer health reports with their warnings (HealthTracker), and a
// checkpoint blob every epoch (the previous one is deleted), and, with
// config.tensorboard, TensorBoard event files (a write error fails the job).
//
// A job with config.lr_range_test runs the LR range test instead (from
// scratch, also after a restart): throttled lr_range_point events, and the
// result in job.lr_range_test.
//
// The run does not decide the job's final state; JobManager does, from the
// Outcome. Not thread-safe: one run, one thread. The stores are not owned.
#ifndef PROFUNDO_SERVER_TRAINING_RUN_H_
#define PROFUNDO_SERVER_TRAINING_RUN_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/callbacks/tensorboard.h"
#include "engine/health/lr_range_test.h"
#include "engine/model.h"
#include "server/blob_store.h"
#include "server/catalog.h"
#include "server/dataset_manager.h"
#include "server/health_tracker.h"
#include "server/job_event_hub.h"

namespace profundo::server {

class TrainingRun {
 public:
  struct Deps {
    Catalog* catalog = nullptr;
    BlobStore* blobs = nullptr;
    DatasetManager* datasets = nullptr;
    JobEventHub* hub = nullptr;
    absl::Duration progress_interval = absl::Milliseconds(250);
    // Parent of the per-job TensorBoard dirs (<data_dir>/tensorboard);
    // TrainConfig.tensorboard writes under <tensorboard_dir>/<job_id>.
    std::string tensorboard_dir;
  };

  struct Outcome {
    absl::Status status;     // the fit's or storage's error
    bool cancelled = false;  // the cancel flag stopped the fit
    // On success: the blob holding Model::Save() bytes (none for an LR
    // range test). The caller records it in the catalog (or deletes it).
    std::string weights_blob;
    v1::EpochMetrics final_metrics;
  };

  // `job` is updated in place (history, checkpoint, last_seq) and written to
  // the catalog as the run goes. `cancel` is the worker's cancel flag.
  TrainingRun(Deps deps, JobRecord* job, const std::atomic<bool>* cancel);
  TrainingRun(const TrainingRun&) = delete;
  TrainingRun& operator=(const TrainingRun&) = delete;

  Outcome Run();

 private:
  absl::StatusOr<Dataset> LoadDataset(const std::string& id, const char* field);
  absl::StatusOr<History> Fit();
  absl::StatusOr<LrRangeResult> RangeTest();
  // Writes the job with `event` (if any) and wakes watchers.
  absl::Status Record(v1::JobEvent* event);
  void OnBatchEnd(const Progress& progress);
  void OnEpochEnd(const EpochLogs& logs);
  void OnCheckpoint(const std::string& bytes);
  void OnHealth(const HealthReport& report);
  void OnRangePoint(const LrRangePoint& point, int64_t step, int64_t steps);
  // Whether a progress event is due: the last one was recorded at least
  // progress_interval ago, or this is the `last` of its series.
  bool ProgressDue(bool last);
  // Remembers the first storage error and stops the fit.
  void Fail(const absl::Status& status);

  const Deps deps_;
  JobRecord* const job_;
  const std::atomic<bool>* const cancel_;
  // What the fit checks before every batch: the worker's flag, or a storage
  // error of this run.
  std::atomic<bool> stop_{false};
  absl::Status storage_error_;
  absl::Time last_progress_ = absl::InfinitePast();
  std::string weights_blob_;
  HealthTracker health_;
  std::unique_ptr<TensorBoard> tensorboard_;  // with config.tensorboard
};

// Keras's epoch logs as the API message.
v1::EpochMetrics ToProto(const EpochLogs& logs);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_TRAINING_RUN_H_
