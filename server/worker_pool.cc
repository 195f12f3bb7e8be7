#include "server/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace profundo::server {

WorkerPool::WorkerPool(Options options) : options_(std::move(options)) {
  int n = std::max(1, options_.workers);
  threads_.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([this, i] { WorkerLoop(i); });
  }
}

WorkerPool::~WorkerPool() { Shutdown(/*cancel_running=*/true); }

absl::Status WorkerPool::Submit(std::string id, Task task, bool ignore_limit) {
  std::unique_lock<std::mutex> lock(mu_);
  if (shutdown_) return absl::UnavailableError("the server is shutting down");
  if (!ignore_limit &&
      static_cast<int>(queue_.size()) >= options_.max_queued) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the queue is full (", options_.max_queued, " waiting); retry later"));
  }
  if (!id.empty()) {
    bool duplicate = running_ids_.contains(id) ||
                     std::any_of(queue_.begin(), queue_.end(),
                                 [&](const Entry& e) { return e.id == id; });
    if (duplicate) {
      return absl::AlreadyExistsError(
          absl::StrCat("task ", id, " is already queued or running"));
    }
  }
  queue_.push_back(Entry{std::move(id), std::move(task),
                         std::make_shared<std::atomic<bool>>(false)});
  work_.notify_one();
  return absl::OkStatus();
}

WorkerPool::CancelResult WorkerPool::Cancel(const std::string& id) {
  if (id.empty()) return CancelResult::kNotFound;
  std::unique_lock<std::mutex> lock(mu_);
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [&](const Entry& e) { return e.id == id; });
  if (it != queue_.end()) {
    queue_.erase(it);
    if (IdleLocked()) idle_.notify_all();
    return CancelResult::kDequeued;
  }
  auto running = running_ids_.find(id);
  if (running != running_ids_.end()) {
    running->second->store(true);
    return CancelResult::kSignalled;
  }
  return CancelResult::kNotFound;
}

std::vector<std::string> WorkerPool::Shutdown(bool cancel_running) {
  std::vector<std::string> dropped;
  {
    std::unique_lock<std::mutex> lock(mu_);
    shutdown_ = true;
    for (Entry& e : queue_) {
      if (!e.id.empty()) dropped.push_back(std::move(e.id));
    }
    queue_.clear();
    if (cancel_running) {
      for (auto& flag : running_flags_) flag->store(true);
    }
    work_.notify_all();
    if (IdleLocked()) idle_.notify_all();
  }
  std::lock_guard<std::mutex> join_lock(join_mu_);
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  return dropped;
}

void WorkerPool::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return IdleLocked(); });
}

bool WorkerPool::HasCapacity() const {
  std::unique_lock<std::mutex> lock(mu_);
  return !shutdown_ && static_cast<int>(queue_.size()) < options_.max_queued;
}

int WorkerPool::queued() const {
  std::unique_lock<std::mutex> lock(mu_);
  return static_cast<int>(queue_.size());
}

int WorkerPool::running() const {
  std::unique_lock<std::mutex> lock(mu_);
  return running_;
}

void WorkerPool::WorkerLoop(int worker) {
  if (!options_.name.empty()) {
    // The index stays; a long name is cut before it.
    const std::string index = absl::StrCat("-", worker);
    const std::string name =
        options_.name.substr(0, 15 - std::min<size_t>(15, index.size())) +
        index;
    pthread_setname_np(pthread_self(), name.c_str());
  }
  if (options_.thread_init) options_.thread_init(worker);
  while (true) {
    Entry entry;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_.wait(lock, [this] { return shutdown_ || !queue_.empty(); });
      if (queue_.empty()) return;  // shut down
      entry = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
      running_flags_.push_back(entry.cancel);
      if (!entry.id.empty()) running_ids_[entry.id] = entry.cancel;
    }
    TaskContext context;
    context.worker = worker;
    context.cancel = entry.cancel.get();
    entry.task(context);
    {
      std::unique_lock<std::mutex> lock(mu_);
      --running_;
      running_flags_.erase(std::find(running_flags_.begin(),
                                     running_flags_.end(), entry.cancel));
      if (!entry.id.empty()) running_ids_.erase(entry.id);
      if (IdleLocked()) idle_.notify_all();
    }
  }
}

}  // namespace profundo::server
