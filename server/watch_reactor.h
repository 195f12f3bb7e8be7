// WatchReactor: the WatchJob stream. Replays the job's stored events after
// the requested seq, then follows new ones (woken by JobEventHub), and
// finishes OK after the event that ends the job. At shutdown (hub closed)
// it sends what is stored and finishes UNAVAILABLE; the client resumes with
// after_seq = the last seq it saw.
//
// gRPC owns the reactor: it deletes itself in OnDone. Its state is guarded
// by a mutex shared (through a shared_ptr) with its hub listener, which
// may fire on any thread, even after OnDone; the listener then finds the
// reactor gone and does nothing.
#ifndef PROFUNDO_SERVER_WATCH_REACTOR_H_
#define PROFUNDO_SERVER_WATCH_REACTOR_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "grpcpp/support/server_callback.h"
#include "profundo/v1/service.pb.h"
#include "server/catalog.h"
#include "server/job_event_hub.h"

namespace profundo::server {

class WatchReactor final : public grpc::ServerWriteReactor<v1::JobEvent> {
 public:
  // Starts streaming (or finishes at once with NOT_FOUND/INVALID_ARGUMENT).
  // `catalog` and `hub` must outlive the call.
  WatchReactor(Catalog* catalog, JobEventHub* hub,
               const v1::WatchJobRequest& request);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  struct Shared {
    // Guards the reactor pointer and the reactor's fields below.
    // std::mutex, not absl::Mutex: ThreadSanitizer sees only the former
    // (Debian's Abseil is not instrumented; see server/worker_pool.h).
    std::mutex mu;
    WatchReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
  };

  // Writes the next event, or fetches more, or waits, or finishes.
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu);
  void FinishLocked(const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu);

  Catalog* const catalog_;
  JobEventHub* const hub_;
  const std::string job_id_;
  const std::shared_ptr<Shared> shared_;
  int64_t last_seq_ ABSL_GUARDED_BY(shared_->mu);
  std::deque<v1::JobEvent> pending_ ABSL_GUARDED_BY(shared_->mu);
  bool writing_ ABSL_GUARDED_BY(shared_->mu) = false;
  bool finished_ ABSL_GUARDED_BY(shared_->mu) = false;
  uint64_t subscription_ ABSL_GUARDED_BY(shared_->mu) = 0;
};

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_WATCH_REACTOR_H_
