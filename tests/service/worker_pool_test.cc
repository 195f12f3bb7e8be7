// WorkerPool with fake tasks (no oneDNN, so ThreadSanitizer sees only the
// pool): bounded queue, cancellation, concurrency, shutdown. Synchronization
// here is std::mutex based (tests/service/notification.h), like the pool's:
// Debian's Abseil is not built for ThreadSanitizer, so absl::Mutex and
// absl::Notification would be invisible to it.
#include "server/worker_pool.h"

#include <pthread.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/notification.h"

namespace profundo::server {
namespace {

using ::profundo::server::testing::Notification;
using ::testing::UnorderedElementsAre;

constexpr absl::Duration kTimeout = absl::Seconds(10);

// A task that signals `started`, then waits for `release` or its cancel
// flag; records whether it saw the cancel.
struct BlockingTask {
  Notification started;
  Notification release;
  Notification finished;
  std::atomic<bool> saw_cancel{false};

  WorkerPool::Task Make() {
    return [this](const TaskContext& context) {
      started.Notify();
      while (!release.HasBeenNotified()) {
        if (context.cancel->load()) {
          saw_cancel = true;
          break;
        }
        absl::SleepFor(absl::Milliseconds(1));
      }
      finished.Notify();
    };
  }
};

// Submits `task` as `id` and waits until a worker has started it.
void StartTask(WorkerPool& pool, const std::string& id, BlockingTask& task) {
  ASSERT_TRUE(pool.Submit(id, task.Make()).ok());
  ASSERT_TRUE(task.started.WaitForNotificationWithTimeout(kTimeout));
}

TEST(WorkerPoolTest, RunsTasksAndCallsThreadInitOnEveryWorker) {
  std::mutex mu;
  std::set<int> initialized;
  std::vector<int> ran;
  WorkerPool::Options options;
  options.workers = 3;
  options.thread_init = [&](int worker) {
    std::lock_guard<std::mutex> lock(mu);
    initialized.insert(worker);
  };
  {
    WorkerPool pool(options);
    Notification done[5];
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(pool.Submit("", [&, i](const TaskContext& c) {
                        {
                          std::lock_guard<std::mutex> lock(mu);
                          ran.push_back(i);
                        }
                        done[i].Notify();
                      }).ok());
    }
    for (auto& d : done) ASSERT_TRUE(d.WaitForNotificationWithTimeout(kTimeout));
  }
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_THAT(initialized, UnorderedElementsAre(0, 1, 2));
  EXPECT_THAT(ran, UnorderedElementsAre(0, 1, 2, 3, 4));
}

TEST(WorkerPoolTest, NamesItsThreadsWithTheirIndex) {
  for (const std::string& name : {std::string("predict"),
                                  std::string("a-very-long-pool-name")}) {
    std::mutex mu;
    std::set<std::string> seen;
    WorkerPool::Options options;
    options.workers = 2;
    options.name = name;
    // Two tasks that each wait for the other: one per thread.
    Notification both;
    std::atomic<int> started{0};
    WorkerPool pool(options);
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(pool.Submit("", [&](const TaskContext&) {
                        char buf[16] = {};
                        pthread_getname_np(pthread_self(), buf, sizeof buf);
                        {
                          std::lock_guard<std::mutex> lock(mu);
                          seen.insert(buf);
                        }
                        if (++started == 2) both.Notify();
                        both.WaitForNotificationWithTimeout(kTimeout);
                      }).ok());
    }
    pool.WaitIdle();
    if (name == "predict") {
      EXPECT_THAT(seen, UnorderedElementsAre("predict-0", "predict-1"));
    } else {
      // Linux keeps 15 characters: the name is cut, the index kept.
      EXPECT_THAT(seen,
                  UnorderedElementsAre("a-very-long-p-0", "a-very-long-p-1"));
    }
  }
}

TEST(WorkerPoolTest, KWorkersRunConcurrently) {
  WorkerPool::Options options;
  options.workers = 2;
  WorkerPool pool(options);
  BlockingTask a, b;
  // Both start while neither has finished.
  StartTask(pool, "a", a);
  StartTask(pool, "b", b);
  EXPECT_EQ(pool.running(), 2);
  EXPECT_EQ(pool.queued(), 0);
  a.release.Notify();
  b.release.Notify();
  ASSERT_TRUE(a.finished.WaitForNotificationWithTimeout(kTimeout));
  ASSERT_TRUE(b.finished.WaitForNotificationWithTimeout(kTimeout));
}

TEST(WorkerPoolTest, FullQueueIsResourceExhausted) {
  WorkerPool::Options options;
  options.workers = 1;
  options.max_queued = 2;
  WorkerPool pool(options);
  BlockingTask running, q1, q2, forced;
  StartTask(pool, "running", running);
  ASSERT_TRUE(pool.Submit("q1", q1.Make()).ok());
  EXPECT_TRUE(pool.HasCapacity());
  ASSERT_TRUE(pool.Submit("q2", q2.Make()).ok());
  EXPECT_FALSE(pool.HasCapacity());
  absl::Status full = pool.Submit("q3", [](const TaskContext&) {});
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_EQ(pool.queued(), 2);
  // Requeueing after a restart may exceed the limit.
  EXPECT_TRUE(pool.Submit("forced", forced.Make(), /*ignore_limit=*/true).ok());
  EXPECT_EQ(pool.queued(), 3);
  // Ids are unique among queued and running tasks.
  EXPECT_TRUE(absl::IsAlreadyExists(
      pool.Submit("q1", [](const TaskContext&) {}, true)));
  EXPECT_TRUE(absl::IsAlreadyExists(
      pool.Submit("running", [](const TaskContext&) {}, true)));
  running.release.Notify();
  q1.release.Notify();
  q2.release.Notify();
  forced.release.Notify();
  ASSERT_TRUE(forced.finished.WaitForNotificationWithTimeout(kTimeout));
}

TEST(WorkerPoolTest, CancelRunningTaskSetsItsFlag) {
  WorkerPool pool(WorkerPool::Options{});
  BlockingTask task;
  StartTask(pool, "job", task);
  EXPECT_EQ(pool.Cancel("job"), WorkerPool::CancelResult::kSignalled);
  ASSERT_TRUE(task.finished.WaitForNotificationWithTimeout(kTimeout));
  EXPECT_TRUE(task.saw_cancel);
  EXPECT_EQ(pool.Cancel("nope"), WorkerPool::CancelResult::kNotFound);
}

TEST(WorkerPoolTest, CancelQueuedTaskRemovesIt) {
  WorkerPool pool(WorkerPool::Options{});
  BlockingTask blocker;
  std::atomic<bool> ran{false};
  StartTask(pool, "blocker", blocker);
  ASSERT_TRUE(pool.Submit("queued", [&](const TaskContext&) { ran = true; }).ok());
  EXPECT_EQ(pool.Cancel("queued"), WorkerPool::CancelResult::kDequeued);
  EXPECT_EQ(pool.queued(), 0);
  // The id is free again.
  EXPECT_EQ(pool.Cancel("queued"), WorkerPool::CancelResult::kNotFound);
  blocker.release.Notify();
  pool.Shutdown(/*cancel_running=*/false);
  EXPECT_FALSE(ran);
}

TEST(WorkerPoolTest, ShutdownCancelsRunningDropsQueuedAndRejectsNew) {
  WorkerPool::Options options;
  options.workers = 2;
  WorkerPool pool(options);
  BlockingTask a, b;
  StartTask(pool, "a", a);
  StartTask(pool, "b", b);
  ASSERT_TRUE(pool.Submit("c", [](const TaskContext&) {}).ok());
  ASSERT_TRUE(pool.Submit("d", [](const TaskContext&) {}).ok());
  std::vector<std::string> dropped = pool.Shutdown(/*cancel_running=*/true);
  EXPECT_THAT(dropped, UnorderedElementsAre("c", "d"));
  EXPECT_TRUE(a.saw_cancel);
  EXPECT_TRUE(b.saw_cancel);
  EXPECT_EQ(pool.running(), 0);
  absl::Status after = pool.Submit("e", [](const TaskContext&) {});
  EXPECT_TRUE(absl::IsUnavailable(after)) << after;
  EXPECT_TRUE(pool.Shutdown(true).empty());  // idempotent
}

TEST(WorkerPoolTest, ShutdownWithoutCancelLetsRunningTasksFinish) {
  WorkerPool pool(WorkerPool::Options{});
  std::atomic<int> batches{0};
  Notification started;
  ASSERT_TRUE(pool.Submit("job", [&](const TaskContext& c) {
                    started.Notify();
                    for (int i = 0; i < 20 && !c.cancel->load(); ++i) {
                      absl::SleepFor(absl::Milliseconds(1));
                      ++batches;
                    }
                  }).ok());
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kTimeout));
  pool.Shutdown(/*cancel_running=*/false);
  EXPECT_EQ(batches.load(), 20);
}

TEST(WorkerPoolTest, WaitIdleWaitsForQueuedAndRunningTasks) {
  WorkerPool::Options options;
  options.workers = 2;
  WorkerPool pool(options);
  std::atomic<int> done{0};
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(pool.Submit("", [&](const TaskContext&) {
                      absl::SleepFor(absl::Milliseconds(2));
                      ++done;
                    }).ok());
  }
  pool.WaitIdle();
  EXPECT_EQ(done.load(), 6);
  EXPECT_EQ(pool.queued(), 0);
  EXPECT_EQ(pool.running(), 0);
}

}  // namespace
}  // namespace profundo::server
