// WorkerPool: K threads running tasks from a bounded FIFO queue, with
// per-task cancellation. The server runs two: one for training jobs and one
// for predictions, so a long training job never blocks a prediction.
//
// oneDNN threading rule (engine/context.h). Debian's oneDNN 2.6.3 uses
// OpenMP and is built without concurrent primitive execution, so a Model and
// every primitive it builds are used by one thread at a time -- the thread
// that created them. The server keeps to it like this:
//   - Each training task builds its own Model on the worker thread that runs
//     it, trains it there, and destroys it there. Models are never shared.
//   - Each worker's OpenMP team is sized by Options::thread_init, which the
//     server sets to omp_set_num_threads(threads_per_worker); the flags are
//     validated so that workers x threads_per_worker <= cores.
//   - The prediction pool keeps a model cache per worker thread (indexed by
//     TaskContext::worker), touched only by that thread; a model loaded by
//     one predict thread is never used by another.
// The pool itself knows nothing of oneDNN; its unit test uses fake tasks.
//
// Thread-safe. The destructor cancels running tasks, drops queued ones and
// joins the threads. The pool locks with std::mutex rather than absl::Mutex:
// Debian's Abseil is not built for ThreadSanitizer, which then cannot see
// absl::Mutex, while it does see pthread-based std::mutex.
//
// Example:
//   WorkerPool pool({.workers = 2, .max_queued = 8});
//   PROFUNDO_RETURN_IF_ERROR(pool.Submit("job-1", [](const TaskContext& c) {
//     while (!c.cancel->load()) DoOneBatch();
//   }));
//   pool.Cancel("job-1");  // the task sees the flag and returns
#ifndef PROFUNDO_SERVER_WORKER_POOL_H_
#define PROFUNDO_SERVER_WORKER_POOL_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace profundo::server {

// What a running task sees.
struct TaskContext {
  int worker = 0;  // 0 .. workers-1: the thread running the task
  // Set by Cancel(id) or Shutdown(); the task should return soon after.
  const std::atomic<bool>* cancel = nullptr;
};

class WorkerPool {
 public:
  struct Options {
    int workers = 1;
    // Tasks waiting to start (running ones not counted).
    int max_queued = 16;
    // Run once on each worker thread before its first task (e.g.
    // omp_set_num_threads). Called with the worker index.
    std::function<void(int worker)> thread_init;
    // Worker threads are named "<name>-<index>" (what top -H, perf and gdb
    // show; Linux keeps 15 characters, so a long name is cut before the
    // index). Empty: the threads keep the process's name.
    std::string name;
  };
  using Task = std::function<void(const TaskContext&)>;

  explicit WorkerPool(Options options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`. `id` may be empty (then the task cannot be cancelled by
  // id). RESOURCE_EXHAUSTED if max_queued tasks are waiting (unless
  // `ignore_limit`, used to requeue jobs after a restart), UNAVAILABLE after
  // Shutdown, ALREADY_EXISTS if a task with this id is queued or running.
  absl::Status Submit(std::string id, Task task, bool ignore_limit = false);

  enum class CancelResult {
    kNotFound,   // no such task queued or running
    kDequeued,   // it was waiting: removed, it will never run
    kSignalled,  // it is running: its cancel flag is set
  };
  CancelResult Cancel(const std::string& id);

  // Stops accepting tasks, drops the queued ones (returning their ids), sets
  // the cancel flag of running tasks if `cancel_running`, waits for them and
  // joins the threads. Idempotent.
  std::vector<std::string> Shutdown(bool cancel_running);

  // Blocks until no task is queued or running.
  void WaitIdle();

  // True if one more task fits in the queue.
  bool HasCapacity() const;
  int queued() const;
  int running() const;
  int workers() const { return options_.workers; }

 private:
  struct Entry {
    std::string id;
    Task task;
    std::shared_ptr<std::atomic<bool>> cancel;
  };

  void WorkerLoop(int worker);

  const Options options_;
  mutable std::mutex mu_;
  // One waiting worker is woken per queued task (all on shutdown); a task
  // finishing wakes no worker, only WaitIdle once the pool is idle.
  std::condition_variable work_;
  std::condition_variable idle_;
  // True if nothing is queued or running.
  bool IdleLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && running_ == 0;
  }
  std::deque<Entry> queue_ ABSL_GUARDED_BY(mu_);
  // Cancel flags of running tasks with a non-empty id.
  absl::flat_hash_map<std::string, std::shared_ptr<std::atomic<bool>>>
      running_ids_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<std::atomic<bool>>> running_flags_
      ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // written only by ctor and Shutdown
  std::mutex join_mu_;                // serializes Shutdown's join
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_WORKER_POOL_H_
