#include "engine/flush_denormals.h"

#include <omp.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define PROFUNDO_HAS_MXCSR 1
#endif

namespace profundo {

#ifdef PROFUNDO_HAS_MXCSR
namespace {
constexpr uint32_t kFtzDaz = 0x8040;  // MXCSR bit 15 (FTZ) | bit 6 (DAZ)
}  // namespace

ScopedFlushDenormals::ScopedFlushDenormals() {
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  saved_.assign(threads, 0);
  if (threads == 1) {
    saved_[0] = _mm_getcsr();
    _mm_setcsr(saved_[0] | kFtzDaz);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const uint32_t csr = _mm_getcsr();
    if (t < static_cast<int>(saved_.size())) saved_[t] = csr;
    _mm_setcsr(csr | kFtzDaz);
  }
}

ScopedFlushDenormals::~ScopedFlushDenormals() {
  if (saved_.size() == 1) {
    _mm_setcsr(saved_[0]);
    return;
  }
#pragma omp parallel num_threads(static_cast<int>(saved_.size()))
  {
    const int t = omp_get_thread_num();
    if (t < static_cast<int>(saved_.size())) _mm_setcsr(saved_[t]);
  }
}
#else
ScopedFlushDenormals::ScopedFlushDenormals() = default;
ScopedFlushDenormals::~ScopedFlushDenormals() = default;
#endif

}  // namespace profundo
