// JobManager: the training-jobs core behind SubmitJob, GetJob, ListJobs and
// CancelJob. It validates and records jobs, queues them on the training
// WorkerPool, moves them through their states (QUEUED -> RUNNING ->
// SUCCEEDED | FAILED | CANCELLED) and, on each job's end, commits the model
// version it produced.
//
// Durability: every state change is a catalog transaction with its event.
// Start() requeues the jobs a previous process left QUEUED or RUNNING (a
// running one resumes from its last epoch checkpoint). Shutdown() interrupts
// running jobs within one batch and leaves them QUEUED, so the next start
// resumes them.
//
// Threads: training runs on the pool's workers, each of which sizes its
// OpenMP team with omp_set_num_threads(threads_per_worker) (see the oneDNN
// rule in worker_pool.h) and lowers its priority by Options::nice. Public methods are thread-safe. The stores are not
// owned and must outlive the manager.
//
// Example:
//   JobManager jobs(deps, {.workers = 1, .threads_per_worker = 2});
//   PROFUNDO_RETURN_IF_ERROR(jobs.Start());
//   PROFUNDO_ASSIGN_OR_RETURN(v1::Job job, jobs.Submit(request));
#ifndef PROFUNDO_SERVER_JOB_MANAGER_H_
#define PROFUNDO_SERVER_JOB_MANAGER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "profundo/v1/service.pb.h"
#include "server/limits.h"
#include "server/training_run.h"
#include "server/worker_pool.h"

namespace profundo::server {

class JobManager {
 public:
  struct Options {
    int workers = 1;
    int threads_per_worker = 1;
    // Added to each training thread's nice value (0..19), so predictions
    // and RPCs win the cores from a long training job; the OpenMP threads
    // a worker starts inherit it. Unprivileged (it only lowers priority).
    int nice = 0;
    int max_queued_jobs = 64;
    absl::Duration progress_interval = absl::Milliseconds(250);
    // How long CancelJob waits for a running job to stop.
    absl::Duration cancel_wait = absl::Seconds(30);
    // What a submitted spec may ask for (size, layers, parameters).
    Limits limits;
  };

  JobManager(TrainingRun::Deps deps, Options options);
  ~JobManager();
  JobManager(const JobManager&) = delete;
  JobManager& operator=(const JobManager&) = delete;

  // Requeues the jobs left QUEUED or RUNNING by an earlier process.
  absl::Status Start();

  absl::StatusOr<v1::Job> Submit(const v1::SubmitJobRequest& request);
  absl::StatusOr<v1::Job> Get(const std::string& id);
  absl::StatusOr<v1::ListJobsResponse> List(const v1::ListJobsRequest& request);
  // A queued job becomes CANCELLED at once; a running one is stopped within
  // one batch (waiting up to Options::cancel_wait for it).
  absl::StatusOr<v1::Job> Cancel(const std::string& id);

  // Stops taking jobs; running jobs stop within one batch and stay QUEUED
  // (resumed by the next Start). Idempotent; also run by the destructor.
  void Shutdown();

 private:
  // The pool task of one job: one TrainingRun and the state transitions
  // around it.
  void RunJob(const std::string& id, const TaskContext& context);
  absl::Status Enqueue(const std::string& id, bool ignore_limit);
  absl::StatusOr<JobRecord> GetRecord(const std::string& id);
  // The job `id` if it was submitted with the same request (fingerprint);
  // ALREADY_EXISTS if with another; NOT_FOUND if there is none.
  absl::StatusOr<v1::Job> MatchExisting(const std::string& id,
                                        const std::string& fingerprint);
  // Writes `job` with `state` and its event (and wakes watchers).
  absl::Status SetStateLocked(JobRecord* job, v1::JobState state,
                              const std::string& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the job and its model version in one transaction.
  absl::Status FinishLocked(JobRecord* job, v1::JobState state,
                            const std::string& message,
                            const TrainingRun::Outcome* outcome)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const TrainingRun::Deps deps_;
  const Options options_;
  std::unique_ptr<WorkerPool> pool_;

  // Serializes job state transitions (submit, cancel, a run's start and end).
  // std::mutex, not absl::Mutex: ThreadSanitizer sees only the former
  // (Debian's Abseil is not instrumented; see server/worker_pool.h).
  std::mutex mu_;
  // Signalled when a job leaves running_ (Cancel waits for it).
  std::condition_variable run_ended_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<std::string> running_ ABSL_GUARDED_BY(mu_);
  // Running jobs the client cancelled (as opposed to a shutdown).
  absl::flat_hash_set<std::string> cancelled_ ABSL_GUARDED_BY(mu_);
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_JOB_MANAGER_H_
