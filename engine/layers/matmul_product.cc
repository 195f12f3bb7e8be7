#include "engine/layers/matmul_product.h"

#include <algorithm>

#include "engine/mixed_precision/bfloat16.h"
#include "engine/parallel.h"

namespace profundo {

MatmulProduct::MatmulProduct(const dnnl::memory::desc& a_md,
                             const dnnl::memory::desc& b_md,
                             const dnnl::memory::desc& c_md,
                             const dnnl::engine& engine, bool with_bias,
                             const dnnl::post_ops& ops)
    : a_(UnboundMemory(a_md, engine)),
      b_(UnboundMemory(b_md, engine)),
      c_(UnboundMemory(c_md, engine)),
      args_{{DNNL_ARG_SRC, a_}, {DNNL_ARG_WEIGHTS, b_}, {DNNL_ARG_DST, c_}} {
  dnnl::primitive_attr attr = LayerAttr();
  if (ops.len() > 0) attr.set_post_ops(ops);
  dnnl::matmul::desc desc(a_md, b_md, c_md);
  if (with_bias) {
    const dnnl::memory::desc bias_md({1, c_md.dims()[1]},
                                     dnnl::memory::data_type::f32,
                                     dnnl::memory::format_tag::ab);
    bias_ = UnboundMemory(bias_md, engine);
    args_.insert({DNNL_ARG_BIAS, bias_});
    desc = dnnl::matmul::desc(a_md, b_md, bias_md, c_md);
  }
  const dnnl::matmul::primitive_desc pd(desc, attr, engine);
  AddScratchpad(pd, engine, &args_);
  matmul_ = dnnl::matmul(pd);
}

void MatmulProduct::Run(const void* a_data, const void* b_data, float* c_data,
                        dnnl::stream& stream, const float* bias) {
  a_.set_data_handle(const_cast<void*>(a_data));
  b_.set_data_handle(const_cast<void*>(b_data));
  BindData(c_, c_data);
  if (bias_) BindData(bias_, bias);
  matmul_.execute(stream, args_);
  stream.wait();
}

namespace {

template <typename T>
void SumRowsOf(const T* d, int64_t rows, int64_t cols, float* sum) {
  std::fill_n(sum, cols, 0.f);
  for (int64_t r = 0; r < rows; ++r) {
    const T* dr = d + r * cols;
    PROFUNDO_SIMD
    for (int64_t j = 0; j < cols; ++j) sum[j] += WidenToFloat(dr[j]);
  }
}

}  // namespace

void SumRows(const float* d, int64_t rows, int64_t cols, float* sum) {
  SumRowsOf(d, rows, cols, sum);
}
void SumRows(const uint16_t* d, int64_t rows, int64_t cols, float* sum) {
  SumRowsOf(d, rows, cols, sum);
}

}  // namespace profundo
