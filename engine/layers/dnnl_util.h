// oneDNN helpers shared by the layers: plain f32 memory descriptors, memory
// objects whose buffer is bound right before each execute, and the error
// policy for oneDNN calls.
//
// Threading: every primitive is built with a user-managed scratchpad
// (LayerAttr + AddScratchpad) owned by its argument map, so it depends on no
// thread-local state of the thread that built it: a layer's primitives may
// run on any thread, one thread at a time (engine/context.h).
//
// Error policy: Layer::Forward/Backward return no status, so a dnnl::error
// past Build (in practice only an allocation failure while creating a
// primitive for a new batch size) is fatal: RunDnnl prints what failed and
// aborts, as std::bad_alloc would. No exception leaves the engine. Code that
// can return a status converts with DnnlErrorToStatus instead.
//
// Free functions; thread-safe.
#ifndef PROFUNDO_ENGINE_LAYERS_DNNL_UTIL_H_
#define PROFUNDO_ENGINE_LAYERS_DNNL_UTIL_H_

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "absl/status/status.h"
#include "dnnl.hpp"

namespace profundo {

using DnnlArgs = std::unordered_map<int, dnnl::memory>;

// [rows, cols] row-major ("nc"), f32 unless told.
dnnl::memory::desc RowMajorMd(
    int64_t rows, int64_t cols,
    dnnl::memory::data_type type = dnnl::memory::data_type::f32);
// [n] f32 ("x").
dnnl::memory::desc VectorMd(int64_t n);

// A memory object with no buffer yet: bind one with BindData before every
// execute (the tensors it views may have been reallocated since).
dnnl::memory UnboundMemory(const dnnl::memory::desc& md,
                           const dnnl::engine& engine);
// Points `m` at `data` (not owned; must outlive the next execute). oneDNN
// takes void*; inputs are never written through it.
inline void BindData(const dnnl::memory& m, const float* data) {
  m.set_data_handle(const_cast<float*>(data));
}

// Attributes for every primitive the layers build: user scratchpad mode.
dnnl::primitive_attr LayerAttr();
// Adds DNNL_ARG_SCRATCHPAD to `args`: a buffer (owned by the memory object,
// so by `args`) of the size `pd` asks for.
void AddScratchpad(const dnnl::primitive_desc_base& pd,
                   const dnnl::engine& engine, DnnlArgs* args);

// Below this many multiply-adds a primitive runs on the calling thread alone
// (TeamForMacs): its OpenMP regions (oneDNN's GEMM opens one to three per
// call) would cost more in waking and waiting for the team than they save.
// At batch 32 the BN model's 100x10 layer runs serial, its 784x300 and
// 300x100 layers in parallel (4M, which made the 300x100 layer serial too,
// was ~10 us per step slower at 2 threads in alternating runs).
inline constexpr int64_t kParallelMinMacs = 500'000;

// The team size for a primitive of `macs` multiply-adds: 1 below
// kParallelMinMacs, else the calling thread's (unchanged inside parallel
// work, InParallelWork). For ScopedTeamSize (engine/parallel.h):
//   const ScopedTeamSize team(TeamForMacs(n * fan_in * units));
int TeamForMacs(int64_t macs);

// oneDNN's f32 GEMM (gemm:jit: the inner products and matmuls of training
// at small batches, of inference below kBlockedMinRows) generates all its
// kernels on the process's first f32 GEMM: ~21 ms on this project's Zen 5
// hosts, which landed in a model's first training step or the server's
// first Predict. The first call runs a 2x2x2 sgemm to generate them; later
// calls return at once. DnnlContext calls it; the server at startup.
// Thread-safe.
void WarmUpGemmKernels();

// INTERNAL error "<what>: oneDNN: <message> (status N)".
absl::Status DnnlErrorToStatus(const dnnl::error& e, std::string_view what);
// Prints the same message to stderr and aborts.
[[noreturn]] void DnnlFatal(const dnnl::error& e, std::string_view what);

// Runs f(), turning a dnnl::error into DnnlFatal(e, what).
template <typename F>
void RunDnnl(std::string_view what, F&& f) {
  try {
    f();
  } catch (const dnnl::error& e) {
    DnnlFatal(e, what);
  }
}

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_DNNL_UTIL_H_
