// TsanRelease / TsanAcquire: tell ThreadSanitizer about a happens-before
// edge it cannot see because the synchronization behind it lives in an
// uninstrumented library (Debian's gRPC). TsanRelease(p) on one thread,
// then TsanAcquire(p) on another: TSan orders what came before the first
// before what comes after the second. `p` only names the edge (no memory
// is touched). Without -fsanitize=thread both are empty inline functions.
//
// Example (a gRPC reactor; gRPC runs its reactions one after another, maybe
// on different threads):
//   TsanRelease(this);  StartRead(&request_);
//   void OnReadDone(bool ok) override { TsanAcquire(this); ... }
#ifndef PROFUNDO_SERVER_TSAN_ANNOTATIONS_H_
#define PROFUNDO_SERVER_TSAN_ANNOTATIONS_H_

#if defined(__SANITIZE_THREAD__)
#define PROFUNDO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PROFUNDO_TSAN 1
#endif
#endif

#ifdef PROFUNDO_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace profundo::server {

#ifdef PROFUNDO_TSAN
inline void TsanRelease(const void* p) { __tsan_release(const_cast<void*>(p)); }
inline void TsanAcquire(const void* p) { __tsan_acquire(const_cast<void*>(p)); }
#else
inline void TsanRelease(const void*) {}
inline void TsanAcquire(const void*) {}
#endif

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_TSAN_ANNOTATIONS_H_
