// PairRegion: one OpenMP region of two threads held open across a whole
// training step, in which the step's two-thread work (engine/parallel.h's
// RunPair, RunHalves and team splits) goes to the second thread through a
// cache line instead of a parallel region of its own.
//
// Why: libgomp's fork and join of a two-thread region costs several
// cache-line round trips between the cores: a loop of empty regions takes
// 3.1 us each with the VM's vCPUs far apart, a handoff here 0.6 us; a
// batch-32 step of the seed BN model opened ~9 regions (bench/RESULTS.md,
// session 22).
//
// Thread 0 (the caller) runs `step`; thread 1 waits for tasks posted with
// Run until the step returns, spinning (then yielding its core to other
// runnable threads, SpinUntil). Inside the region oneDNN's
// primitives run on one thread (oneDNN runs sequentially inside a parallel
// region), so Fit opens one only for steps whose oneDNN work on the team is
// small (Layer::TeamDnnlMacs). Not under OMP_WAIT_POLICY=passive (the
// server's default): there threads must not spin while they wait.
//
//   if (PairRegion::Enabled()) PairRegion::Open([&] { ... RunPair(...); });
//
// Thread-safety: Open from any thread, one region per thread at a time; Run
// from the region's thread 0 outside its tasks, Barrier from inside a task.
#ifndef PROFUNDO_ENGINE_PAIR_REGION_H_
#define PROFUNDO_ENGINE_PAIR_REGION_H_

#include <omp.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <thread>
#include <utility>

namespace profundo {

class PairRegion;

namespace parallel_internal {
// On thread 0 of an open PairRegion, outside its tasks: that region.
inline thread_local PairRegion* pair_region = nullptr;

// Waits until done() is true: spins, as libgomp's threads do between
// regions (its default: 300,000 spins), then yields the core between checks
// (a step's waits are microseconds; a longer one means the other thread is
// descheduled, and may need this core). Yielding after 4,096 spins
// instead (~10 us) made the seed BN model's batch-32 epochs slower in 5 of
// 6 alternating pairs of runs.
inline constexpr int kSpinsBeforeYield = 1 << 18;
template <typename Done>
void SpinUntil(const Done& done) {
  for (int spins = 0; !done(); ++spins) {
    if (spins < kSpinsBeforeYield) {
#if defined(__x86_64__) && defined(__GNUC__)
      __builtin_ia32_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }
}
}  // namespace parallel_internal

class PairRegion {
 public:
  // Whether steps may run on a PairRegion: not when OMP_WAIT_POLICY is
  // passive (read once).
  static bool Enabled();

  // Runs step() on the calling thread inside a region of two threads (on
  // one thread, without a region of its own, if OpenMP gives only one). An
  // exception from step() or a task closes the region and propagates from
  // here (none may leave an OpenMP region).
  template <typename Step>
  static void Open(const Step& step) {
    PairRegion region;
    std::exception_ptr error;
#pragma omp parallel num_threads(2)
    {
      if (omp_get_thread_num() == 0) {
        PairRegion* const outer = parallel_internal::pair_region;
        if (omp_get_num_threads() == 2) parallel_internal::pair_region = &region;
        try {
          step();
        } catch (...) {
          error = std::current_exception();
        }
        parallel_internal::pair_region = outer;
        region.Post(nullptr, nullptr);  // thread 1 leaves
      } else {
        region.Serve();
      }
    }
    if (error) std::rethrow_exception(error);
  }

  // The region open on the calling thread, outside its tasks (else null).
  static PairRegion* Current() { return parallel_internal::pair_region; }

  // On thread 0 of the region: task(0) here and task(1) on thread 1;
  // returns when both have. Inside the task the calling thread is no
  // longer the region's (Current() is null: nested work runs serially). If
  // a task throws, Run rethrows (task 0's exception first) once both are
  // done.
  template <typename Task>
  void Run(const Task& task) {
    Post(&Invoke<Task>, &task);
    parallel_internal::pair_region = nullptr;
    std::exception_ptr error;
    try {
      task(0);
    } catch (...) {
      error = std::current_exception();
    }
    parallel_internal::pair_region = this;
    parallel_internal::SpinUntil([&] {
      return done_.load(std::memory_order_acquire) == posted_seq_;
    });
    if (!error) std::swap(error, task_error_);
    task_error_ = nullptr;
    if (error) std::rethrow_exception(error);
  }

  // Inside a task of Run, called by both threads with their t: returns
  // once both have called it.
  void Barrier(int t) {
    const uint64_t pass = ++arrived_[t].passes;
    arrived_[t].at.store(pass, std::memory_order_release);
    parallel_internal::SpinUntil([&] {
      return arrived_[1 - t].at.load(std::memory_order_acquire) >= pass;
    });
  }

 private:
  using Call = void (*)(const void* task, int t);
  template <typename Task>
  static void Invoke(const void* task, int t) {
    (*static_cast<const Task*>(task))(t);
  }

  PairRegion() = default;

  void Post(Call call, const void* task) {
    call_ = call;
    task_ = task;
    posted_.store(++posted_seq_, std::memory_order_release);
  }

  void Serve() {
    uint64_t seen = 0;
    for (;;) {
      uint64_t seq = seen;
      parallel_internal::SpinUntil([&] {
        seq = posted_.load(std::memory_order_acquire);
        return seq != seen;
      });
      seen = seq;
      if (call_ == nullptr) return;
      try {
        call_(task_, 1);
      } catch (...) {
        task_error_ = std::current_exception();
      }
      done_.store(seq, std::memory_order_release);
    }
  }

  // Written by thread 0: the task and its number.
  alignas(64) std::atomic<uint64_t> posted_{0};
  Call call_ = nullptr;
  const void* task_ = nullptr;
  uint64_t posted_seq_ = 0;
  // Written by thread 1: the number of the last task it finished, and
  // what that task threw (read by thread 0 once it sees done_).
  alignas(64) std::atomic<uint64_t> done_{0};
  std::exception_ptr task_error_;
  // Barrier: thread t's count of passes, on its own line.
  struct alignas(64) Arrival {
    std::atomic<uint64_t> at{0};
    uint64_t passes = 0;
  };
  Arrival arrived_[2];
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_PAIR_REGION_H_
