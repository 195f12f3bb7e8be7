// JobEventHub: wakes WatchJob streams when a job gets a new event. Events
// themselves live in the catalog (so a watch can replay from any seq); the
// hub only says "job X has something new".
//
// A listener is one-shot: it runs once, at the next Notify(job) or at
// Close(), on the notifying thread and without the hub's lock held (so it
// may Subscribe again). After Close() nothing is stored: Subscribe returns 0
// and the caller must check closed() itself.
//
// Thread-safe.
//
// Example:
//   uint64_t handle = hub.Subscribe(job_id, [this] { Pump(); });
//   ...
//   hub.Unsubscribe(handle);  // before the listener's owner goes away
#ifndef PROFUNDO_SERVER_JOB_EVENT_HUB_H_
#define PROFUNDO_SERVER_JOB_EVENT_HUB_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"

namespace profundo::server {

class JobEventHub {
 public:
  using Listener = std::function<void()>;

  JobEventHub() = default;
  JobEventHub(const JobEventHub&) = delete;
  JobEventHub& operator=(const JobEventHub&) = delete;

  // Returns a handle (> 0), or 0 if the hub is closed.
  uint64_t Subscribe(const std::string& job_id, Listener listener);
  void Unsubscribe(uint64_t handle);
  // Runs (and removes) the listeners of `job_id`.
  void Notify(const std::string& job_id);
  // Runs every listener; later Subscribe calls store nothing.
  void Close();
  bool closed() const;

 private:
  struct Entry {
    std::string job_id;
    Listener listener;
  };
  // Guards the fields below; never held while a listener runs.
  // std::mutex, not absl::Mutex: ThreadSanitizer sees only the former
  // (Debian's Abseil is not instrumented; see server/worker_pool.h).
  mutable std::mutex mu_;
  uint64_t next_handle_ ABSL_GUARDED_BY(mu_) = 1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<uint64_t, Entry> listeners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_JOB_EVENT_HUB_H_
