#include "engine/layers/dnnl_util.h"

#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/parallel.h"

namespace profundo {

using dnnl::memory;

memory::desc RowMajorMd(int64_t rows, int64_t cols, memory::data_type type) {
  return memory::desc({rows, cols}, type, memory::format_tag::nc);
}

memory::desc VectorMd(int64_t n) {
  return memory::desc({n}, memory::data_type::f32, memory::format_tag::x);
}

memory UnboundMemory(const memory::desc& md, const dnnl::engine& engine) {
  return memory(md, engine, DNNL_MEMORY_NONE);
}

int TeamForMacs(int64_t macs) {
  if (macs >= kParallelMinMacs || InParallelWork()) {
    return omp_get_max_threads();
  }
  return 1;
}

dnnl::primitive_attr LayerAttr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void AddScratchpad(const dnnl::primitive_desc_base& pd,
                   const dnnl::engine& engine, DnnlArgs* args) {
  (*args)[DNNL_ARG_SCRATCHPAD] = memory(pd.scratchpad_desc(), engine);
}

void WarmUpGemmKernels() {
  static const bool done = [] {
    const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
    float c[4] = {};
    // (At 1x1x1 oneDNN skips its JIT kernels; from 2x2x2 on it makes them.)
    return dnnl_sgemm('N', 'N', 2, 2, 2, 1.f, a, 2, b, 2, 0.f, c, 2) ==
           dnnl_success;
  }();
  (void)done;
}

namespace {

std::string DnnlMessage(const dnnl::error& e, std::string_view what) {
  return absl::StrCat(std::string(what), ": oneDNN: ", e.what(), " (status ",
                      static_cast<int>(e.status), ")");
}

}  // namespace

absl::Status DnnlErrorToStatus(const dnnl::error& e, std::string_view what) {
  return absl::InternalError(DnnlMessage(e, what));
}

void DnnlFatal(const dnnl::error& e, std::string_view what) {
  std::fprintf(stderr, "profundo: fatal: %s\n", DnnlMessage(e, what).c_str());
  std::abort();
}

}  // namespace profundo
