#include "engine/layers/prelu.h"

#include <algorithm>
#include <utility>

namespace profundo {

PReLU::PReLU(std::string name, PReLUOptions options)
    : Layer(std::move(name)), options_(std::move(options)) {}

PReLU::~PReLU() = default;

absl::StatusOr<Shape> PReLU::Build(const Shape& input_shape,
                                   ParameterStore& store) {
  alpha_shape_ = input_shape.empty() ? Shape{1} : input_shape;
  alpha_id_ = store.Add(name() + "/alpha", alpha_shape_, true);
  store.param(alpha_id_).regularizer = options_.alpha_regularizer;
  store.param(alpha_id_).constraint = options_.alpha_constraint;
  return input_shape;
}

void PReLU::Initialize(ParameterStore& store, Rng& rng) {
  float* alpha = store.value(alpha_id_);
  if (options_.alpha_initializer == nullptr) {
    std::fill_n(alpha, NumElements(alpha_shape_), 0.f);
  } else {
    options_.alpha_initializer->Fill(alpha, alpha_shape_, rng);
  }
}

void PReLU::Forward(const Tensor& src, Tensor* dst, Mode mode, Context& ctx) {
  dst->Resize(src.shape());
  const int64_t units = NumElements(alpha_shape_);
  const int64_t rows = src.size() / units;
  const float* alpha = ctx.params.value(alpha_id_);
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = src.data() + r * units;
    float* y = dst->data() + r * units;
    for (int64_t j = 0; j < units; ++j) {
      y[j] = x[j] > 0.f ? x[j] : alpha[j] * x[j];
    }
  }
}

void PReLU::Backward(const Tensor& src, const Tensor& dst,
                     const Tensor& diff_dst, Tensor* diff_src, Context& ctx) {
  const int64_t units = NumElements(alpha_shape_);
  const int64_t rows = src.size() / units;
  const float* alpha = ctx.params.value(alpha_id_);
  float* diff_alpha = ctx.params.grad(alpha_id_);
  // d dst / d alpha = min(src, 0), summed over the batch.
  std::fill_n(diff_alpha, units, 0.f);
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = src.data() + r * units;
    const float* dy = diff_dst.data() + r * units;
    for (int64_t j = 0; j < units; ++j) {
      diff_alpha[j] += x[j] > 0.f ? 0.f : dy[j] * x[j];
    }
  }
  if (diff_src == nullptr) return;
  diff_src->Resize(src.shape());
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = src.data() + r * units;
    const float* dy = diff_dst.data() + r * units;
    float* dx = diff_src->data() + r * units;
    for (int64_t j = 0; j < units; ++j) {
      dx[j] = x[j] > 0.f ? dy[j] : alpha[j] * dy[j];
    }
  }
}

}  // namespace profundo
