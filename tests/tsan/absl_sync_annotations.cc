// Tells ThreadSanitizer about Debian's Abseil Mutex and CondVar. Linked into
// the test executables of the ThreadSanitizer build only
// (-DPROFUNDO_SANITIZE=thread, cmake/ProfundoHelpers.cmake).
//
// Why: Debian's libabsl_synchronization is not built with -fsanitize=thread,
// so its Mutex (futexes and atomics) is invisible to TSan. gRPC 1.51 locks
// with absl::Mutex (GPR_ABSEIL_SYNC) inside its libraries and in the inline
// code of its headers that our binaries compile, so every call object that
// gRPC hands from one of its threads to another looks like a data race to
// TSan: thousands of reports per test binary, all false.
//
// How: the executable defines the absl::Mutex / absl::CondVar entry points
// that libgrpc, libgrpc++, libgpr and gRPC's headers call (Lock, TryLock,
// Unlock and CondVar's three waits: `nm -D --undefined-only` of those
// libraries; they use no reader locks); the dynamic linker binds those
// calls here first (symbols of the executable come before those of its
// libraries). Each wrapper calls Abseil's own function (dlsym RTLD_NEXT) and
// adds the happens-before edge the lock implies: a release before unlocking,
// an acquire after locking. This is what an instrumented Abseil would tell
// TSan (its ABSL_TSAN_MUTEX_* annotations); it hides no race, it only stops
// TSan from missing the synchronization. The names are those of Debian 12's
// Abseil 20220623 (inline namespace debian3); a missing one aborts at once.
//
// Our own code locks with std::mutex (pthreads, which TSan intercepts).
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

// absl::Duration and absl::Time as passed by value (trivially copyable:
// int64 high part, uint32 low part), so this file needs no Abseil header.
struct DurationRep {
  int64_t hi;
  uint32_t lo;
};

// Abseil's definition of `mangled`, resolved once.
void* Next(std::atomic<void*>* slot, const char* mangled) {
  void* f = slot->load(std::memory_order_acquire);
  if (f != nullptr) return f;
  f = dlsym(RTLD_NEXT, mangled);
  if (f == nullptr) {
    std::fprintf(stderr,
                 "absl_sync_annotations: %s not found; this file names "
                 "Debian 12's Abseil 20220623\n",
                 mangled);
    std::abort();
  }
  slot->store(f, std::memory_order_release);
  return f;
}

#define PROFUNDO_NEXT(type, mangled)             \
  static std::atomic<void*> slot{nullptr};       \
  auto next = reinterpret_cast<type>(Next(&slot, mangled))

}  // namespace

extern "C" {

// absl::Mutex::Lock()
void _ZN4absl7debian35Mutex4LockEv(void* mu) {
  PROFUNDO_NEXT(void (*)(void*), "_ZN4absl7debian35Mutex4LockEv");
  next(mu);
  __tsan_acquire(mu);
}

// absl::Mutex::TryLock()
bool _ZN4absl7debian35Mutex7TryLockEv(void* mu) {
  PROFUNDO_NEXT(bool (*)(void*), "_ZN4absl7debian35Mutex7TryLockEv");
  const bool locked = next(mu);
  if (locked) __tsan_acquire(mu);
  return locked;
}

// absl::Mutex::Unlock()
void _ZN4absl7debian35Mutex6UnlockEv(void* mu) {
  PROFUNDO_NEXT(void (*)(void*), "_ZN4absl7debian35Mutex6UnlockEv");
  __tsan_release(mu);
  next(mu);
}

// absl::CondVar::Wait(absl::Mutex*): unlocks `mu` while it waits.
void _ZN4absl7debian37CondVar4WaitEPNS0_5MutexE(void* cv, void* mu) {
  PROFUNDO_NEXT(void (*)(void*, void*),
                "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  __tsan_release(mu);
  next(cv, mu);
  __tsan_acquire(mu);
}

// absl::CondVar::WaitWithTimeout(absl::Mutex*, absl::Duration)
bool _ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE(
    void* cv, void* mu, DurationRep timeout) {
  PROFUNDO_NEXT(bool (*)(void*, void*, DurationRep),
                "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_"
                "8DurationE");
  __tsan_release(mu);
  const bool timed_out = next(cv, mu, timeout);
  __tsan_acquire(mu);
  return timed_out;
}

// absl::CondVar::WaitWithDeadline(absl::Mutex*, absl::Time); absl::Time is
// one absl::Duration.
bool _ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE(
    void* cv, void* mu, DurationRep deadline) {
  PROFUNDO_NEXT(bool (*)(void*, void*, DurationRep),
                "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_"
                "4TimeE");
  __tsan_release(mu);
  const bool timed_out = next(cv, mu, deadline);
  __tsan_acquire(mu);
  return timed_out;
}

}  // extern "C"
