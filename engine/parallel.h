// Elementwise loops over flat buffers (optimizer updates, dropout, losses):
// vectorized, and split over the OpenMP threads when there is enough work.
//
// The threads are the ones oneDNN's primitives use: the team of the calling
// thread, sized by omp_set_num_threads() there (engine/context.h); on
// thread 0 of a PairRegion (a training step, engine/pair_region.h) the
// helpers below hand thread 1's share to the region's second thread
// instead of opening a parallel region. Every
// iteration must be independent of the others, so the result is the same
// for any thread count. The engine builds with -fno-math-errno so that
// std::sqrt and friends vectorize.
//
// Two forms:
//   PROFUNDO_PARALLEL_FOR_SIMD(n)            // simple loops, baseline ISA
//   for (int64_t i = 0; i < n; ++i) w[i] -= lr * g[i];
//
//   PROFUNDO_TARGET_CLONES                   // hot kernels: AVX2/AVX-512
//   void ScaleRange(float* w, int64_t n, float s) {   // clones as well
//     PROFUNDO_SIMD
//     for (int64_t i = 0; i < n; ++i) w[i] *= s;
//   }
//   ParallelRanges(n, [&](int64_t b, int64_t e) { ScaleRange(w + b, e - b, s); });
// (GCC 12 runs a scalar copy of a `parallel for simd` loop when its `if`
// clause is false, so small loops of the first form are not vectorized.)
#ifndef PROFUNDO_ENGINE_PARALLEL_H_
#define PROFUNDO_ENGINE_PARALLEL_H_

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "engine/pair_region.h"

namespace profundo {

// Whether the calling thread is inside parallel work, where the helpers
// below run serially: an OpenMP region (a thread of a team, or thread 1 of
// a PairRegion) or a PairRegion's task. Thread 0 of a PairRegion outside
// its tasks is not: its helpers hand work to thread 1.
inline bool InParallelWork() {
  return omp_in_parallel() && PairRegion::Current() == nullptr;
}

// Below this many elements a loop runs on the calling thread only: waking
// the team costs more than it saves.
inline constexpr int64_t kParallelMinElements = 32768;
// The same for ParallelColumns' per-column work, which reads each element
// several times (batch norm: its moments, then the affine map): from 16,384
// elements on, e.g. the seed BN model's input batch norm at batch 32 (32 x
// 784), 4.2 -> 3.1 us forward on a team of two near; its 32 x 300 one was as
// fast either way at 2,048 and its 32 x 100 one slower (profundo-bench,
// per-layer times).
inline constexpr int64_t kParallelMinColumnElements = 16384;

// Calls task(t, threads) on each thread t of the calling thread's team of
// `threads`: on a PairRegion's two threads from its thread 0 on a team of
// two, else in a parallel region of its own.
template <typename Task>
void RunOnTeam(const Task& task) {
  if (PairRegion* pair = PairRegion::Current();
      pair != nullptr && omp_get_max_threads() == 2) {
    return pair->Run([&](int t) { task(t, 2); });
  }
#pragma omp parallel
  task(omp_get_thread_num(), omp_get_num_threads());
}

namespace parallel_internal {

// Calls body(begin, end) on one contiguous range of [0, n) per thread of
// the team (RunOnTeam; boundaries on multiples of 16).
template <typename Body>
void SplitOverTeam(int64_t n, const Body& body) {
  RunOnTeam([&](int64_t t, int64_t threads) {
    const int64_t per = (n + threads - 1) / threads;
    const int64_t chunk = (per + 15) / 16 * 16;
    const int64_t begin = std::min(n, chunk * t);
    const int64_t end = std::min(n, begin + chunk);
    if (begin < end) body(begin, end);
  });
}

}  // namespace parallel_internal

// While alive, the calling thread's OpenMP regions (its own, oneDNN's and
// the helpers below) use `team` threads (omp_set_num_threads); the
// destructor restores the previous team size. Not copyable.
//   const ScopedTeamSize serial(1);   // this scope on the calling thread
class ScopedTeamSize {
 public:
  explicit ScopedTeamSize(int team) {
    const int current = omp_get_max_threads();
    if (team == current) return;
    restore_ = current;
    omp_set_num_threads(team);
  }
  ~ScopedTeamSize() {
    if (restore_ > 0) omp_set_num_threads(restore_);
  }
  ScopedTeamSize(const ScopedTeamSize&) = delete;
  ScopedTeamSize& operator=(const ScopedTeamSize&) = delete;

 private:
  int restore_ = 0;  // 0: nothing to restore
};

// How a training step uses the calling thread's OpenMP team (TeamSizeTuner
// chooses, Model::Fit applies it with ScopedStepTeam):
//   kWhole         every parallel region on the whole team;
//   kKernelHalves  one thread, except the work on the two row halves of
//                  the kernels that SplitInnerProduct splits (its products,
//                  Dense's column sums and the optimizer's update of those
//                  rows), which runs on two threads, thread t on half t;
//   kOne           one thread.
// kKernelHalves is for two vCPUs far apart: each half of the big kernel
// stays in one core's cache and little else crosses between them (two
// [rows, units] products and the column sums per step), where on the whole
// team every small layer's data does. When the split kernel reads the
// batch's features (its fan_in is their count), the per-column work on
// them before it (the batch's gather, batch normalization on the input)
// runs on the two threads too, each on the columns its half of the kernel
// reads (RunInputColumnHalves). The results do not depend on the mode.
enum class StepTeam { kWhole, kKernelHalves, kOne };

namespace parallel_internal {
// The calling thread is in a kKernelHalves step.
inline thread_local bool kernel_halves_step = false;
// In that step: the input columns that RunInputColumnHalves splits (0:
// none).
inline thread_local int64_t input_halves_columns = 0;
}  // namespace parallel_internal

// Whether work split in two halves (thread t on half t) runs on two
// threads: the calling thread's team has exactly two, or it is in a
// kKernelHalves step; never inside parallel work (InParallelWork).
inline bool HalvesOnTwoThreads() {
  return !InParallelWork() && (omp_get_max_threads() == 2 ||
                                parallel_internal::kernel_halves_step);
}
// Whether the calling thread is in a kKernelHalves step.
inline bool InKernelHalvesStep() {
  return parallel_internal::kernel_halves_step && !InParallelWork();
}

// Whether the calling thread's team has exactly two threads (a kWhole step
// on two), outside parallel work: two independent tasks can run side
// by side, one per thread.
inline bool TeamOfTwo() {
  return !InParallelWork() && omp_get_max_threads() == 2;
}

// Calls task(t) for t = 0 and 1: on two threads (thread t runs task(t);
// the region's two from a PairRegion's thread 0) when `two_threads`, else
// one after the other on the calling thread.
// Inside the tasks oneDNN's primitives run on their one thread.
template <typename Task>
void RunPair(bool two_threads, const Task& task) {
  if (two_threads) {
    if (PairRegion* pair = PairRegion::Current()) return pair->Run(task);
#pragma omp parallel num_threads(2)
    task(omp_get_thread_num());
    return;
  }
  task(0);
  task(1);
}

// RunPair for work split in two halves: on two threads when
// HalvesOnTwoThreads().
template <typename Task>
void RunHalves(const Task& task) {
  RunPair(HalvesOnTwoThreads(), task);
}
// The same, then, once both halves are done, after(t) on thread t of the
// two, or after(-1) once on the calling thread when the halves ran there.
template <typename Task, typename After>
void RunHalves(const Task& task, const After& after) {
  if (HalvesOnTwoThreads()) {
    if (PairRegion* pair = PairRegion::Current()) {
      return pair->Run([&](int t) {
        task(t);
        pair->Barrier(t);
        after(t);
      });
    }
#pragma omp parallel num_threads(2)
    {
      const int t = omp_get_thread_num();
      task(t);
#pragma omp barrier
      after(t);
    }
    return;
  }
  task(0);
  task(1);
  after(-1);
}

// In a kKernelHalves step whose split kernel reads `cols` input columns
// directly (ScopedStepTeam's input_columns): per-column work over exactly
// that many columns runs on the two threads, body(0, cols / 2) on thread 0
// and body(cols / 2, cols) on thread 1, the columns that feed the kernel's
// rows of each thread's half (SplitInnerProduct::SecondHalfRow), so that
// they stay in that thread's cache. Returns false, having done nothing,
// otherwise (or inside parallel work).
template <typename Body>
bool RunInputColumnHalves(int64_t cols, const Body& body) {
  if (!InKernelHalvesStep() || cols < 2 ||
      cols != parallel_internal::input_halves_columns) {
    return false;
  }
  RunHalves([&](int t) {
    if (t == 0) return body(int64_t{0}, cols / 2);
    body(cols / 2, cols);
  });
  return true;
}

// While alive, the calling thread's steps run as `mode` says, `team` being
// its whole team, and in a kKernelHalves step `input_columns` (0: none) are
// the input columns that RunInputColumnHalves splits; restores the
// previous state. Not copyable.
class ScopedStepTeam {
 public:
  ScopedStepTeam(StepTeam mode, int team, int64_t input_columns = 0)
      : threads_(mode == StepTeam::kWhole ? team : 1),
        restore_halves_(parallel_internal::kernel_halves_step),
        restore_columns_(parallel_internal::input_halves_columns) {
    const bool halves = mode == StepTeam::kKernelHalves;
    parallel_internal::kernel_halves_step = halves;
    parallel_internal::input_halves_columns = halves ? input_columns : 0;
  }
  ~ScopedStepTeam() {
    parallel_internal::kernel_halves_step = restore_halves_;
    parallel_internal::input_halves_columns = restore_columns_;
  }
  ScopedStepTeam(const ScopedStepTeam&) = delete;
  ScopedStepTeam& operator=(const ScopedStepTeam&) = delete;

 private:
  ScopedTeamSize threads_;
  bool restore_halves_;
  int64_t restore_columns_;
};

// Calls body(begin, end) on contiguous ranges covering [0, n): one range per
// OpenMP thread of the calling thread's team (boundaries on multiples of 16
// elements, one cache line of floats), or body(0, n) on the calling thread
// when n < kParallelMinElements.
template <typename Body>
void ParallelRanges(int64_t n, const Body& body) {
  if (n < kParallelMinElements || omp_get_max_threads() == 1) {
    if (n > 0) body(0, n);
    return;
  }
  parallel_internal::SplitOverTeam(n, body);
}

// Calls body(begin, end) on contiguous column ranges covering [0, cols) of a
// row-major [rows, cols] matrix: one range per OpenMP thread (boundaries on
// multiples of 16 columns), or body(0, cols) on the calling thread when
// rows * cols < kParallelMinColumnElements; the two input column halves in
// a kKernelHalves step that splits them (RunInputColumnHalves). For
// per-column work (batch norm statistics): each column is computed by one
// thread, in the same order for any thread count.
template <typename Body>
void ParallelColumns(int64_t rows, int64_t cols, const Body& body) {
  if (RunInputColumnHalves(cols, body)) return;
  if (rows * cols < kParallelMinColumnElements || cols <= 16 ||
      omp_get_max_threads() == 1) {
    if (cols > 0) body(0, cols);
    return;
  }
  parallel_internal::SplitOverTeam(cols, body);
}

}  // namespace profundo

// Before a free function whose loops should also get AVX2 and AVX-512 code
// paths, chosen at load time for the CPU (GCC function multiversioning; the
// engine's baseline is plain x86-64). Not for virtual functions or lambdas.
// Off in sanitizer builds: an ifunc resolver runs before ThreadSanitizer's
// runtime is up and crashes the program at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define PROFUNDO_TARGET_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PROFUNDO_TARGET_CLONES
#endif

#define PROFUNDO_PRAGMA_(x) _Pragma(#x)
// Before a `for` loop whose iterations are independent: vectorize it.
#define PROFUNDO_SIMD PROFUNDO_PRAGMA_(omp simd)
// Before a `for (int64_t i = 0; i < count; ++i)` loop whose iterations are
// independent: split it over the team and vectorize it.
#define PROFUNDO_PARALLEL_FOR_SIMD(count)                                 \
  PROFUNDO_PRAGMA_(omp parallel for simd schedule(static)                 \
                   if ((count) >= ::profundo::kParallelMinElements))

#endif  // PROFUNDO_ENGINE_PARALLEL_H_
