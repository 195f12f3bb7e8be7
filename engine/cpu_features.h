// What the hand-written AVX-512 kernels share (rows_product.cc,
// row_dots.cc, transpose.cc, bfloat16.cc): the x86 intrinsics where the
// compiler has them (GCC or Clang on x86-64: PROFUNDO_HAVE_X86_INTRINSICS,
// immintrin.h included), and which AVX-512 extensions the CPU running the
// program has. Each kernel compiles its AVX-512 functions with a target
// attribute and calls them only when the CPU has what that attribute names,
// a plain C++ loop otherwise (the engine's baseline is plain x86-64).
// Thread-safe (each answer is read once, then constant).
#ifndef PROFUNDO_ENGINE_CPU_FEATURES_H_
#define PROFUNDO_ENGINE_CPU_FEATURES_H_

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PROFUNDO_HAVE_X86_INTRINSICS 1

namespace profundo {

// avx512f.
inline bool CpuHasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}
// avx512f, avx512bw and avx512vl (16-bit lanes, 256-bit masked forms).
inline bool CpuHasAvx512BwVl() {
  static const bool has = CpuHasAvx512() &&
                          __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return has;
}
// avx512bf16 (vcvtne2ps2bf16, vdpbf16ps).
inline bool CpuHasAvx512Bf16() {
  static const bool has = CpuHasAvx512BwVl() &&
                          __builtin_cpu_supports("avx512bf16");
  return has;
}

}  // namespace profundo
#endif

#endif  // PROFUNDO_ENGINE_CPU_FEATURES_H_
