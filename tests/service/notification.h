// Notification: a one-shot event for the service tests, the subset of
// absl::Notification they use, on std::mutex and std::condition_variable.
// Debian's Abseil is not built for ThreadSanitizer, which then cannot see
// absl::Notification's synchronization and reports the data it publishes
// as racy; the TSan stage (deploy/run-tests.sh) runs these tests.
//
// Thread-safe.
//
// Example (a callback that runs on another thread, as Predictor::Predict's
// does):
//   Notification done;
//   predictor.Predict(request, cancelled, [&](auto r) {
//     result = std::move(r);
//     done.Notify();
//   });
//   done.WaitForNotification();
// Calls to the gRPC services drain a completion queue on the test's thread
// instead (generic_calls.h): gRPC orders its own threads' callbacks
// through synchronization TSan cannot see.
#ifndef PROFUNDO_TESTS_SERVICE_NOTIFICATION_H_
#define PROFUNDO_TESTS_SERVICE_NOTIFICATION_H_

#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace profundo::server::testing {

class Notification {
 public:
  // At most once: later calls do nothing.
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  bool HasBeenNotified() {
    std::lock_guard<std::mutex> lock(mu_);
    return notified_;
  }
  void WaitForNotification() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return notified_; });
  }
  // False if `timeout` passed first.
  bool WaitForNotificationWithTimeout(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                        [this] { return notified_; });
  }

 private:
  std::mutex mu_;  // guards notified_
  std::condition_variable cv_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace profundo::server::testing

#endif  // PROFUNDO_TESTS_SERVICE_NOTIFICATION_H_
