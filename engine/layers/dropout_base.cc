#include "engine/layers/dropout_base.h"

#include <cmath>
#include <cstring>
#include <utility>

namespace profundo {

DropoutBase::DropoutBase(std::string name, double rate, Transform transform,
                         bool always_active)
    : Layer(std::move(name)),
      rate_(rate),
      transform_(transform),
      always_active_(always_active) {}

absl::StatusOr<Shape> DropoutBase::Build(const Shape& input_shape,
                                         ParameterStore& store) {
  return input_shape;
}

void DropoutBase::Forward(const Tensor& src, Tensor* dst, Mode mode,
                          Context& ctx) {
  const int64_t n = src.size();
  dst->Resize(src.shape());
  last_active_ = rate_ > 0 && ActiveIn(mode);
  if (!last_active_) {
    if (n > 0) std::memcpy(dst->data(), src.data(), sizeof(float) * n);
    return;
  }
  mask_.resize(n);
  // Each 64-bit draw gives two 24-bit uniforms U = k / 2^24 (the bits
  // Rng::Uniform uses, then the next 24). U >= rate <=> k >= ceil(rate 2^24).
  const uint64_t threshold =
      static_cast<uint64_t>(std::ceil(rate_ * 16777216.0));
  const Transform t = transform_;
  const float* x = src.data();
  float* y = dst->data();
  float* mask = mask_.data();
  uint64_t bits = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint64_t k;
    if ((i & 1) == 0) {
      bits = ctx.rng.Next();
      k = bits >> 40;
    } else {
      k = (bits >> 16) & 0xFFFFFF;
    }
    const bool keep = k >= threshold;
    mask[i] = keep ? t.kept_scale : 0.f;
    y[i] = keep ? t.kept_scale * x[i] + t.kept_shift : t.dropped_value;
  }
}

void DropoutBase::Backward(const Tensor& src, const Tensor& dst,
                           const Tensor& diff_dst, Tensor* diff_src,
                           Context& ctx) {
  if (diff_src == nullptr) return;
  const int64_t n = diff_dst.size();
  diff_src->Resize(src.shape());
  if (!last_active_) {
    if (n > 0)
      std::memcpy(diff_src->data(), diff_dst.data(), sizeof(float) * n);
    return;
  }
  const float* dy = diff_dst.data();
  const float* mask = mask_.data();
  float* dx = diff_src->data();
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * mask[i];
}

}  // namespace profundo
