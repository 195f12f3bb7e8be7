// AlignedVector<T>: a std::vector whose storage starts on a 64-byte cache
// line, and on a 4 KiB page from 64 KiB up (AlignedAllocator), for the flat
// buffers the training step streams: the parameter store's values,
// gradients and bf16 mirror and the optimizers' slots.
//
// Why: glibc's malloc returns 16-byte aligned blocks (a large one 16 bytes
// into its pages), so every AVX-512 load and store of the optimizers' loops
// spanned two cache lines, though those loops split their ranges on
// multiples of 16 floats (engine/parallel.h) for whole lines per thread.
// Cache lines alone changed nothing measurable far apart; pages did: with
// the vCPUs far apart, a batch-32 step of the seed BN model (float32, 2
// threads) updated its weights in 36-42 us instead of 55-61 with the
// buffers on pages, 55-61 with them on cache lines only (profundo-bench
// --step_times, session 15). Likely oneDNN's f32 gemm, which reads past the
// end of a split kernel half (optimizer.h, UpdateRanges), reads less of the
// other thread's rows when the kernel starts on a page.
//
// Stateless; allocators compare equal, so buffers move and swap freely.
#ifndef PROFUNDO_ENGINE_ALIGNED_VECTOR_H_
#define PROFUNDO_ENGINE_ALIGNED_VECTOR_H_

#include <cstddef>
#include <new>
#include <vector>

namespace profundo {

template <typename T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::size_t kLine = 64;
  static constexpr std::size_t kPage = 4096;
  static constexpr std::size_t kPageFrom = 65536;  // bytes

  static std::align_val_t AlignmentFor(std::size_t n) {
    return std::align_val_t{n * sizeof(T) >= kPageFrom ? kPage : kLine};
  }

  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}  // NOLINT

  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), AlignmentFor(n)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    ::operator delete(p, AlignmentFor(n));  // clang: no sized delete
  }
  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const AlignedAllocator<U>&) const noexcept {
    return false;
  }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_ALIGNED_VECTOR_H_
