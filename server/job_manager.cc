#include "server/job_manager.h"

#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <exception>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "server/ids.h"
#include "server/paging.h"
#include "server/spec_validation.h"
#include "server/time_util.h"

namespace profundo::server {
namespace {

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

// What a retried submit must match: the request without its id.
std::string Fingerprint(const v1::SubmitJobRequest& request) {
  v1::SubmitJobRequest copy = request;
  copy.clear_job_id();
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  copy.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

v1::JobEvent StateEvent(v1::JobState state, const std::string& message) {
  v1::JobEvent event;
  event.mutable_state_change()->set_state(state);
  event.mutable_state_change()->set_message(message);
  *event.mutable_time() = ToProtoTime(absl::Now());
  return event;
}

}  // namespace

JobManager::JobManager(TrainingRun::Deps deps, Options options)
    : deps_(deps), options_(options) {
  WorkerPool::Options pool;
  pool.workers = options_.workers;
  pool.name = "train";
  pool.max_queued = options_.max_queued_jobs;
  const int threads = options_.threads_per_worker;
  const int nice = options_.nice;
  pool.thread_init = [threads, nice](int) {
    omp_set_num_threads(threads);
    // Linux: PRIO_PROCESS with a thread id sets that thread's nice value.
    // Best effort: a failure leaves the thread at the process's priority.
    if (nice > 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
  };
  pool_ = std::make_unique<WorkerPool>(std::move(pool));
}

JobManager::~JobManager() { Shutdown(); }

absl::Status JobManager::Start() {
  PROFUNDO_ASSIGN_OR_RETURN(std::vector<JobRecord> active,
                            deps_.catalog->ListActiveJobs());
  for (JobRecord& job : active) {
    if (job.job.state() == v1::JOB_STATE_RUNNING) {
      std::lock_guard<std::mutex> lock(mu_);
      PROFUNDO_RETURN_IF_ERROR(SetStateLocked(
          &job, v1::JOB_STATE_QUEUED,
          absl::StrCat("the server restarted; the job resumes after epoch ",
                       job.job.epochs_completed())));
    }
    PROFUNDO_RETURN_IF_ERROR(Enqueue(job.job.id(), /*ignore_limit=*/true));
  }
  return absl::OkStatus();
}

absl::Status JobManager::Enqueue(const std::string& id, bool ignore_limit) {
  return pool_->Submit(
      id, [this, id](const TaskContext& context) { RunJob(id, context); },
      ignore_limit);
}

absl::StatusOr<JobRecord> JobManager::GetRecord(const std::string& id) {
  PROFUNDO_RETURN_IF_ERROR(ValidateClientId(id, "job_id"));
  absl::StatusOr<JobRecord> job = deps_.catalog->GetJob(id);
  if (absl::IsNotFound(job.status())) {
    return absl::NotFoundError(absl::StrCat("job_id: job \"", id, "\" not found"));
  }
  return job;
}

absl::StatusOr<v1::Job> JobManager::MatchExisting(
    const std::string& id, const std::string& fingerprint) {
  PROFUNDO_ASSIGN_OR_RETURN(JobRecord existing, deps_.catalog->GetJob(id));
  if (existing.request == fingerprint) return existing.job;
  return absl::AlreadyExistsError(absl::StrCat(
      "job_id: job \"", id, "\" already exists with a different request"));
}

absl::StatusOr<v1::Job> JobManager::Submit(const v1::SubmitJobRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) {
      return absl::UnavailableError("the server is shutting down");
    }
  }
  const std::string fingerprint = Fingerprint(request);
  if (!request.job_id().empty()) {
    PROFUNDO_RETURN_IF_ERROR(ValidateClientId(request.job_id(), "job_id"));
    // A retry is answered before any (possibly slow) validation.
    absl::StatusOr<v1::Job> existing = MatchExisting(request.job_id(), fingerprint);
    if (!absl::IsNotFound(existing.status())) return existing;
  }
  PROFUNDO_RETURN_IF_ERROR(
      ValidateName(request.model_name(), "model_name", /*required=*/false));
  if (request.dataset_id().empty()) {
    return absl::InvalidArgumentError("dataset_id is required");
  }
  const bool range_test = request.config().has_lr_range_test();
  if (range_test && !request.validation_dataset_id().empty()) {
    return absl::InvalidArgumentError(
        "validation_dataset_id must be empty with config.lr_range_test");
  }
  if (range_test && !request.model_name().empty()) {
    return absl::InvalidArgumentError(
        "model_name must be empty with config.lr_range_test (it trains no "
        "model)");
  }
  PROFUNDO_ASSIGN_OR_RETURN(
      DatasetRecord dataset,
      deps_.datasets->GetRecord(request.dataset_id(), "dataset_id"));
  std::optional<DatasetRecord> validation;
  if (!request.validation_dataset_id().empty()) {
    PROFUNDO_ASSIGN_OR_RETURN(
        validation, deps_.datasets->GetRecord(request.validation_dataset_id(),
                                              "validation_dataset_id"));
  }

  JobRecord job;
  job.request = fingerprint;
  v1::Job& info = job.job;
  *info.mutable_spec() = request.spec();
  *info.mutable_config() = request.config();
  SpecCheck check;
  check.dataset = &dataset;
  check.validation = validation.has_value() ? &*validation : nullptr;
  check.config = &info.config();
  check.limits = &options_.limits;
  // Validates everything and completes the spec (first input_shape).
  PROFUNDO_ASSIGN_OR_RETURN(v1::ModelSummary summary,
                            ValidateSpec(info.mutable_spec(), check));

  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return absl::UnavailableError("the server is shutting down");
  if (!request.job_id().empty()) {
    absl::StatusOr<v1::Job> existing = MatchExisting(request.job_id(), fingerprint);
    if (!absl::IsNotFound(existing.status())) return existing;
  }
  if (!pool_->HasCapacity()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the job queue is full (", options_.max_queued_jobs,
        " queued jobs, --max_queued_jobs); retry later"));
  }
  const absl::Time now = absl::Now();
  info.set_id(request.job_id().empty() ? NewId("job") : request.job_id());
  info.set_state(v1::JOB_STATE_QUEUED);
  info.set_dataset_id(request.dataset_id());
  info.set_validation_dataset_id(request.validation_dataset_id());
  if (!range_test) info.set_model_id(NewId("m"));  // used if the model is new
  info.set_epochs(info.config().epochs() == 0 ? 1 : info.config().epochs());
  *info.mutable_create_time() = ToProtoTime(now);
  std::string model_name = request.model_name();
  if (model_name.empty()) model_name = request.spec().name();
  if (model_name.empty()) model_name = info.id();
  if (range_test) model_name.clear();  // no model
  v1::ModelVersion version;
  *version.mutable_spec() = info.spec();
  *version.mutable_summary() = std::move(summary);
  *version.mutable_create_time() = ToProtoTime(now);
  v1::JobEvent event = StateEvent(v1::JOB_STATE_QUEUED, "");
  PROFUNDO_RETURN_IF_ERROR(
      deps_.catalog->InsertJob(&job, model_name, version, &event));
  // The job is recorded: if queueing fails now (shutdown), the next start
  // runs it.
  PROFUNDO_RETURN_IF_ERROR(Enqueue(info.id(), /*ignore_limit=*/true));
  return info;
}

absl::StatusOr<v1::Job> JobManager::Get(const std::string& id) {
  PROFUNDO_ASSIGN_OR_RETURN(JobRecord job, GetRecord(id));
  return job.job;
}

absl::StatusOr<v1::ListJobsResponse> JobManager::List(
    const v1::ListJobsRequest& request) {
  PROFUNDO_ASSIGN_OR_RETURN(Page page,
                            ParsePage(request.page_size(), request.page_token()));
  if (!v1::JobState_IsValid(request.state())) {
    return absl::InvalidArgumentError("state is not a JobState");
  }
  if (!request.dataset_id().empty()) {
    PROFUNDO_RETURN_IF_ERROR(ValidateClientId(request.dataset_id(), "dataset_id"));
  }
  JobFilter filter;
  filter.state = request.state();
  filter.dataset_id = request.dataset_id();
  PROFUNDO_ASSIGN_OR_RETURN(
      std::vector<JobRecord> rows,
      deps_.catalog->ListJobs(filter, page.after_seq, page.size + 1));
  v1::ListJobsResponse response;
  response.set_next_page_token(TakePage(rows, page, [&](JobRecord& row) {
    v1::Job* job = response.add_jobs();
    *job = std::move(row.job);
    // The bulky parts stay with GetJob.
    job->mutable_health()->mutable_latest()->clear_layers();
    job->mutable_lr_range_test()->clear_learning_rate();
    job->mutable_lr_range_test()->clear_loss();
    job->mutable_lr_range_test()->clear_smoothed_loss();
  }));
  return response;
}

absl::StatusOr<v1::Job> JobManager::Cancel(const std::string& id) {
  std::unique_lock<std::mutex> lock(mu_);
  PROFUNDO_ASSIGN_OR_RETURN(JobRecord job, GetRecord(id));
  const v1::JobState state = job.job.state();
  if (state == v1::JOB_STATE_CANCELLED) return job.job;
  if (IsTerminal(state)) {
    return absl::FailedPreconditionError(
        absl::StrCat("job_id: job ", id, " has already finished (",
                     v1::JobState_Name(state), ")"));
  }
  if (pool_->Cancel(id) != WorkerPool::CancelResult::kSignalled) {
    // It was waiting (or not queued at all): it never runs.
    PROFUNDO_RETURN_IF_ERROR(FinishLocked(&job, v1::JOB_STATE_CANCELLED,
                                          "cancelled by the client", nullptr));
    return job.job;
  }
  if (!running_.contains(id)) {
    // A worker took it but has not started it (it waits for mu_): end it
    // here; the worker then finds it CANCELLED and leaves it.
    PROFUNDO_RETURN_IF_ERROR(FinishLocked(&job, v1::JOB_STATE_CANCELLED,
                                          "cancelled by the client", nullptr));
    return job.job;
  }
  cancelled_.insert(id);
  // A running job stops within one batch; wait for it to say so.
  run_ended_.wait_for(lock, absl::ToChronoMilliseconds(options_.cancel_wait),
                      [&] { return !running_.contains(id); });
  PROFUNDO_ASSIGN_OR_RETURN(job, GetRecord(id));
  return job.job;
}

void JobManager::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
  }
  // Queued jobs stay QUEUED in the catalog; running ones are interrupted and
  // requeued by RunJob.
  pool_->Shutdown(/*cancel_running=*/true);
}

void JobManager::RunJob(const std::string& id, const TaskContext& context) {
  JobRecord job;
  {
    std::lock_guard<std::mutex> lock(mu_);
    absl::StatusOr<JobRecord> record = deps_.catalog->GetJob(id);
    if (!record.ok() || record->job.state() != v1::JOB_STATE_QUEUED ||
        context.cancel->load()) {
      // Cancelled meanwhile (Cancel ended it), or shutting down (it stays
      // QUEUED for the next start).
      return;
    }
    job = *std::move(record);
    std::string message;
    if (job.job.has_start_time()) {
      job.job.set_restarts(job.job.restarts() + 1);
      message = absl::StrCat("resuming after epoch ", job.job.epochs_completed());
    } else {
      *job.job.mutable_start_time() = ToProtoTime(absl::Now());
    }
    if (!SetStateLocked(&job, v1::JOB_STATE_RUNNING, message).ok()) return;
    running_.insert(id);
  }

  TrainingRun::Deps deps = deps_;
  deps.progress_interval = options_.progress_interval;
  TrainingRun run(deps, &job, context.cancel);
  TrainingRun::Outcome outcome;
  try {
    outcome = run.Run();
  } catch (const std::exception& e) {  // nothing may escape a worker
    outcome.status = absl::InternalError(absl::StrCat("internal error: ", e.what()));
  }

  std::lock_guard<std::mutex> lock(mu_);
  running_.erase(id);
  run_ended_.notify_all();
  absl::Status recorded;
  if (outcome.cancelled && cancelled_.erase(id) > 0) {
    recorded = FinishLocked(&job, v1::JOB_STATE_CANCELLED,
                            "cancelled by the client", nullptr);
  } else if (outcome.cancelled) {
    recorded = SetStateLocked(
        &job, v1::JOB_STATE_QUEUED,
        absl::StrCat("interrupted by a server shutdown; resumes after epoch ",
                     job.job.epochs_completed()));
  } else if (!outcome.status.ok()) {
    cancelled_.erase(id);
    std::string message(outcome.status.message());
    if (!job.checkpoint_blob.empty()) {
      absl::StrAppend(&message, " (the job keeps its last checkpoint, after "
                      "epoch ", job.job.checkpoint_epochs(), ")");
    }
    recorded = FinishLocked(&job, v1::JOB_STATE_FAILED, message, nullptr);
  } else {
    cancelled_.erase(id);
    recorded = FinishLocked(&job, v1::JOB_STATE_SUCCEEDED, "", &outcome);
  }
  if (!recorded.ok() && !outcome.weights_blob.empty()) {
    deps_.blobs->Delete(outcome.weights_blob).IgnoreError();
  }
}

absl::Status JobManager::SetStateLocked(JobRecord* job, v1::JobState state,
                                        const std::string& message) {
  job->job.set_state(state);
  v1::JobEvent event = StateEvent(state, message);
  PROFUNDO_RETURN_IF_ERROR(deps_.catalog->UpdateJob(job, &event));
  deps_.hub->Notify(job->job.id());
  return absl::OkStatus();
}

absl::Status JobManager::FinishLocked(JobRecord* job, v1::JobState state,
                                      const std::string& message,
                                      const TrainingRun::Outcome* outcome) {
  // An LR range test has no model version.
  const bool has_model = !job->job.model_id().empty();
  ModelVersionRecord version;
  if (has_model) {
    PROFUNDO_ASSIGN_OR_RETURN(
        version, deps_.catalog->GetModelVersion(job->job.model_id(),
                                                job->job.model_version()));
  }
  if (state == v1::JOB_STATE_SUCCEEDED && outcome != nullptr) {
    version.version.set_state(v1::MODEL_VERSION_STATE_READY);
    *version.version.mutable_final_metrics() = outcome->final_metrics;
    version.weights_blob = outcome->weights_blob;
  } else {
    version.version.set_state(v1::MODEL_VERSION_STATE_FAILED);
  }
  job->job.set_state(state);
  job->job.set_error_message(message);
  *job->job.mutable_end_time() = ToProtoTime(absl::Now());
  // A failed job keeps its last checkpoint (the last good state).
  const bool keep_checkpoint = state == v1::JOB_STATE_FAILED;
  const std::string checkpoint =
      keep_checkpoint ? "" : std::exchange(job->checkpoint_blob, "");
  const int checkpoint_epochs = job->job.checkpoint_epochs();
  if (!keep_checkpoint) job->job.set_checkpoint_epochs(0);
  v1::JobEvent event = StateEvent(state, message);
  absl::Status status = has_model
                            ? deps_.catalog->FinishJob(job, version, &event)
                            : deps_.catalog->UpdateJob(job, &event);
  if (!status.ok()) {
    if (!keep_checkpoint) job->checkpoint_blob = checkpoint;
    job->job.set_checkpoint_epochs(checkpoint_epochs);
    return status;
  }
  if (!checkpoint.empty()) deps_.blobs->Delete(checkpoint).IgnoreError();
  deps_.hub->Notify(job->job.id());
  return absl::OkStatus();
}

}  // namespace profundo::server
