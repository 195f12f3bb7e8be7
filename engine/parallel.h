// Elementwise loops over flat buffers (optimizer updates, dropout, losses):
// vectorized, and split over the OpenMP threads when there is enough work.
//
// The threads are the ones oneDNN's primitives use: the team of the calling
// thread, sized by omp_set_num_threads() there (engine/context.h). Every
// iteration must be independent of the others, so the result is the same
// for any thread count. The engine builds with -fno-math-errno so that
// std::sqrt and friends vectorize.
//
// Example:
//   PROFUNDO_PARALLEL_FOR_SIMD(n)
//   for (int64_t i = 0; i < n; ++i) w[i] -= lr * g[i];
#ifndef PROFUNDO_ENGINE_PARALLEL_H_
#define PROFUNDO_ENGINE_PARALLEL_H_

#include <cstdint>

namespace profundo {

// Below this many elements a loop runs on the calling thread only: waking
// the team costs more than it saves.
inline constexpr int64_t kParallelMinElements = 32768;

}  // namespace profundo

#define PROFUNDO_PRAGMA_(x) _Pragma(#x)
// Put right before a `for (int64_t i = 0; i < count; ++i)` loop.
#define PROFUNDO_PARALLEL_FOR_SIMD(count)                                 \
  PROFUNDO_PRAGMA_(omp parallel for simd schedule(static)                 \
                   if ((count) >= ::profundo::kParallelMinElements))

#endif  // PROFUNDO_ENGINE_PARALLEL_H_
