#include "engine/layers/split_inner_product.h"

#include <algorithm>

#include "engine/layers/rows_product.h"
#include "engine/parallel.h"

namespace profundo {

using dnnl::memory;

SplitInnerProduct::SplitInnerProduct(int64_t rows, int64_t fan_in,
                                     int64_t units, memory::data_type type,
                                     const dnnl::engine& engine,
                                     const dnnl::post_ops& activation)
    : rows_(rows),
      units_(units),
      element_bytes_(type == memory::data_type::bf16 ? 2 : 4),
      partial_(rows * units),
      bias_copy_(units) {
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
    h.fwd = MatmulProduct(src_md, kernel_md, dst_md, engine);
    h.bwd = MatmulProduct(src_t_md, diff_dst_md, diff_kernel_md, engine);
    h.stream = dnnl::stream(engine);
    h.r0 = t * rows / 2;
    h.r1 = (t + 1) * rows / 2;
    if (activation.len() > 0 && h.r1 > h.r0) {
      float scale, alpha, beta;
      dnnl::algorithm alg;
      activation.get_params_eltwise(0, scale, alg, alpha, beta);
      const memory::desc md = RowMajorMd(h.r1 - h.r0, units);
      const dnnl::eltwise_forward::primitive_desc pd(
          {dnnl::prop_kind::forward_training, alg, md, alpha, beta},
          LayerAttr(), engine);
      h.act_data = UnboundMemory(md, engine);
      h.act_args = {{DNNL_ARG_SRC, h.act_data}, {DNNL_ARG_DST, h.act_data}};
      AddScratchpad(pd, engine, &h.act_args);
      h.act = dnnl::eltwise_forward(pd);
    }
  }
}

void SplitInnerProduct::Activate(Half& h, float* dst) {
  if (!h.act) return;
  BindData(h.act_data, dst + h.r0 * units_);
  h.act.execute(h.stream, h.act_args);
  h.stream.wait();
}

void* SplitInnerProduct::At(const void* base, int64_t elements) const {
  return const_cast<char*>(static_cast<const char*>(base)) +
         elements * element_bytes_;
}

void SplitInnerProduct::Forward(const void* src, const void* kernel,
                                const float* bias, float* dst) {
  // dst = act((half 0 + half 1) + bias), rows split between the two
  // threads.
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
  RunHalves(
      [&](int t) {
        Half& h = half_[t];
        float* out = t == 0 ? dst : partial_.data();
        if (element_bytes_ == 4 && BlocksPay() && RowsProductFast()) {
          const int64_t fan_in = half_[1].k0 + half_[1].kh;
          return RowsProduct(static_cast<const float*>(src) + h.k0, fan_in,
                             1, static_cast<const float*>(kernel) +
                                    h.k0 * units_,
                             h.kh, units_, rows_, out);
        }
        h.fwd.Run(At(src, h.k0), At(kernel, h.k0 * units_), out, h.stream);
      },
      [&](int t) {
        auto finish = [&](Half& h) {
          add(h.r0, h.r1);
          Activate(h, dst);
        };
        if (t >= 0) return finish(half_[t]);
        finish(half_[0]);
        finish(half_[1]);
      });
}

float* SplitInnerProduct::HalfBias(int t, bool own_copy, const void* diff_dst,
                                   float* diff_bias) {
  if (diff_bias == nullptr || (t == 1 && !own_copy)) return diff_bias;
  float* sum = t == 0 ? diff_bias : bias_copy_.data();
  if (element_bytes_ == 2) {
    SumRows(static_cast<const uint16_t*>(diff_dst), rows_, units_, sum);
  } else {
    SumRows(static_cast<const float*>(diff_dst), rows_, units_, sum);
  }
  return sum;
}

void SplitInnerProduct::BackwardWeights(const void* src, const void* diff_dst,
                                        float* diff_kernel, float* diff_bias,
                                        const AfterRows& after_rows) {
  const bool two_threads = HalvesOnTwoThreads();
  RunPair(two_threads, [&](int t) {
    Half& h = half_[t];
    float* bias =
        HalfBias(t, two_threads && after_rows, diff_dst, diff_bias);
    h.bwd.Run(At(src, h.k0), diff_dst, diff_kernel + h.k0 * units_,
              h.stream);
    if (after_rows) after_rows(h.k0, h.k0 + h.kh, bias);
  });
}

void SplitInnerProduct::BackwardWeightsByBlocks(const float* src,
                                                const float* diff_dst,
                                                float* diff_bias,
                                                const OnBlock& on_block) {
  const int64_t fan_in = half_[1].k0 + half_[1].kh;
  for (std::vector<float>& block : block_) {
    block.resize(kWeightGradientBlockRows * units_);
  }
  const bool two_threads = HalvesOnTwoThreads();
  RunPair(two_threads, [&](int t) {
    const Half& h = half_[t];
    const float* bias = HalfBias(t, two_threads, diff_dst, diff_bias);
    float* block = block_[t].data();
    for (int64_t begin = h.k0; begin < h.k0 + h.kh;
         begin += kWeightGradientBlockRows) {
      const int64_t end =
          std::min(h.k0 + h.kh, begin + kWeightGradientBlockRows);
      WeightGradientRows(src + begin, fan_in, diff_dst, rows_, units_,
                         end - begin, block);
      on_block(begin, end, block, bias);
    }
  });
}

}  // namespace profundo
