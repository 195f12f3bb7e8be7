#include "engine/layers/split_inner_product.h"

#include <omp.h>

#include <algorithm>

#include "engine/mixed_precision/bfloat16.h"
#include "engine/parallel.h"

namespace profundo {

using dnnl::memory;

namespace {

// sum[j] = sum over rows of d[r, j], rows in order.
template <typename T>
void SumRows(const T* d, int64_t rows, int64_t cols, float* sum) {
  std::fill_n(sum, cols, 0.f);
  for (int64_t r = 0; r < rows; ++r) {
    const T* dr = d + r * cols;
    PROFUNDO_SIMD
    for (int64_t j = 0; j < cols; ++j) sum[j] += WidenToFloat(dr[j]);
  }
}

dnnl::matmul MakeMatmul(const memory::desc& a, const memory::desc& b,
                        const memory::desc& c, const dnnl::engine& engine,
                        DnnlArgs* args) {
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c),
                                        LayerAttr(), engine);
  AddScratchpad(pd, engine, args);
  return dnnl::matmul(pd);
}

}  // namespace

SplitInnerProduct::SplitInnerProduct(int64_t rows, int64_t fan_in,
                                     int64_t units, memory::data_type type,
                                     const dnnl::engine& engine)
    : rows_(rows),
      units_(units),
      element_bytes_(type == memory::data_type::bf16 ? 2 : 4),
      partial_(rows * units) {
  const memory::data_type f32 = memory::data_type::f32;
  for (int t = 0; t < 2; ++t) {
    Half& h = half_[t];
    h.k0 = t == 0 ? 0 : SecondHalfRow(fan_in);
    h.kh = t == 0 ? SecondHalfRow(fan_in) : fan_in - SecondHalfRow(fan_in);
    // Strided views: src[:, k0:k0+kh], kernel[k0:k0+kh, :], src^T.
    const memory::desc src_md({rows, h.kh}, type, memory::dims{fan_in, 1});
    const memory::desc kernel_md({h.kh, units}, type, memory::dims{units, 1});
    const memory::desc dst_md({rows, units}, f32, memory::dims{units, 1});
    const memory::desc src_t_md({h.kh, rows}, type, memory::dims{1, fan_in});
    const memory::desc diff_dst_md({rows, units}, type,
                                   memory::dims{units, 1});
    const memory::desc diff_kernel_md({h.kh, units}, f32,
                                      memory::dims{units, 1});
    h.fwd_src = UnboundMemory(src_md, engine);
    h.fwd_kernel = UnboundMemory(kernel_md, engine);
    h.fwd_dst = UnboundMemory(dst_md, engine);
    h.fwd_args = {{DNNL_ARG_SRC, h.fwd_src},
                  {DNNL_ARG_WEIGHTS, h.fwd_kernel},
                  {DNNL_ARG_DST, h.fwd_dst}};
    h.fwd = MakeMatmul(src_md, kernel_md, dst_md, engine, &h.fwd_args);
    h.bwd_src = UnboundMemory(src_t_md, engine);
    h.bwd_diff_dst = UnboundMemory(diff_dst_md, engine);
    h.bwd_diff_kernel = UnboundMemory(diff_kernel_md, engine);
    h.bwd_args = {{DNNL_ARG_SRC, h.bwd_src},
                  {DNNL_ARG_WEIGHTS, h.bwd_diff_dst},
                  {DNNL_ARG_DST, h.bwd_diff_kernel}};
    h.bwd = MakeMatmul(src_t_md, diff_dst_md, diff_kernel_md, engine,
                       &h.bwd_args);
    h.stream = dnnl::stream(engine);
  }
}

void* SplitInnerProduct::At(const void* base, int64_t elements) const {
  return const_cast<char*>(static_cast<const char*>(base)) +
         elements * element_bytes_;
}

template <typename Task, typename After>
void SplitInnerProduct::RunHalvesThen(const Task& task, const After& after) {
  if (HalvesOnTwoThreads()) {
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

void SplitInnerProduct::Forward(const void* src, const void* kernel,
                                const float* bias, float* dst) {
  for (int t = 0; t < 2; ++t) {
    Half& h = half_[t];
    h.fwd_src.set_data_handle(At(src, h.k0));
    h.fwd_kernel.set_data_handle(At(kernel, h.k0 * units_));
    BindData(h.fwd_dst, t == 0 ? dst : partial_.data());
  }
  // dst = (half 0 + half 1) + bias, rows split between the two threads.
  auto add = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* d = dst + r * units_;
      const float* p = partial_.data() + r * units_;
      if (bias != nullptr) {
        PROFUNDO_SIMD
        for (int64_t j = 0; j < units_; ++j) d[j] = d[j] + p[j] + bias[j];
      } else {
        PROFUNDO_SIMD
        for (int64_t j = 0; j < units_; ++j) d[j] = d[j] + p[j];
      }
    }
  };
  RunHalvesThen(
      [&](int t) {
        half_[t].fwd.execute(half_[t].stream, half_[t].fwd_args);
        half_[t].stream.wait();
      },
      [&](int t) {
        if (t < 0) return add(0, rows_);
        add(t * rows_ / 2, (t + 1) * rows_ / 2);
      });
}

void SplitInnerProduct::BackwardWeights(const void* src, const void* diff_dst,
                                        float* diff_kernel,
                                        float* diff_bias) {
  for (Half& h : half_) {
    h.bwd_src.set_data_handle(At(src, h.k0));
    h.bwd_diff_dst.set_data_handle(const_cast<void*>(diff_dst));
    BindData(h.bwd_diff_kernel, diff_kernel + h.k0 * units_);
  }
  RunHalvesThen(
      [&](int t) {
        half_[t].bwd.execute(half_[t].stream, half_[t].bwd_args);
        half_[t].stream.wait();
      },
      [&](int t) {
        if (diff_bias == nullptr || t > 0) return;
        if (element_bytes_ == 2) {
          SumRows(static_cast<const uint16_t*>(diff_dst), rows_, units_,
                     diff_bias);
        } else {
          SumRows(static_cast<const float*>(diff_dst), rows_, units_,
                     diff_bias);
        }
      });
}

}  // namespace profundo
