#include "engine/layers/dropout_base.h"

#include <cmath>
#include <cstring>
#include <utility>

#include "engine/parallel.h"

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

namespace {

// Chris Wellons' "lowbias32" integer hash: a bijection on 32 bits with good
// avalanche.
inline uint32_t Mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// The 24-bit uniform of element i under `key`: counter-based, so any block
// of elements can be drawn on any thread (and vectorized) with the same
// result.
inline int32_t Uniform24(uint64_t i, uint32_t k0, uint32_t k1) {
  const uint32_t lo = static_cast<uint32_t>(i);
  const uint32_t hi = static_cast<uint32_t>(i >> 32);
  return static_cast<int32_t>(Mix32(Mix32(lo ^ k0) + (k1 ^ hi)) >> 8);
}

// Elements [begin, end) of the dropout of x into y, and into mask unless it
// is null (prediction keeps no mask).
PROFUNDO_TARGET_CLONES
void DropoutRange(const float* x, float* y, float* mask, int64_t begin,
                  int64_t end, uint64_t key, int32_t threshold,
                  DropoutBase::Transform t) {
  const uint32_t k0 = static_cast<uint32_t>(key);
  const uint32_t k1 = static_cast<uint32_t>(key >> 32);
  // Written as two selects and a multiply-add (0 * x + dropped_value for a
  // dropped unit) so that GCC if-converts it for AVX2 too.
  auto element = [&](int64_t i, float* m, float* add) {
    const int32_t u = Uniform24(static_cast<uint64_t>(i), k0, k1);
    *m = u >= threshold ? t.kept_scale : 0.f;
    *add = u >= threshold ? t.kept_shift : t.dropped_value;
  };
  if (mask == nullptr) {
    PROFUNDO_SIMD
    for (int64_t i = begin; i < end; ++i) {
      float m, add;
      element(i, &m, &add);
      y[i] = m * x[i] + add;
    }
    return;
  }
  PROFUNDO_SIMD
  for (int64_t i = begin; i < end; ++i) {
    float m, add;
    element(i, &m, &add);
    mask[i] = m;
    y[i] = m * x[i] + add;
  }
}

PROFUNDO_TARGET_CLONES
void MultiplyRange(const float* a, const float* b, float* out, int64_t n) {
  PROFUNDO_SIMD
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

}  // namespace

void DropoutBase::Forward(const Tensor& src, Tensor* dst, Mode mode,
                          Context& ctx) {
  const int64_t n = src.size();
  dst->Resize(src.shape());
  last_active_ = rate_ > 0 && ActiveIn(mode);
  if (!last_active_) {
    if (n > 0) std::memcpy(dst->data(), src.data(), sizeof(float) * n);
    return;
  }
  // Only training is followed by a Backward (layer.h): MC and inference
  // passes write no mask.
  float* mask = nullptr;
  if (mode == Mode::kTrain) {
    mask_.resize(n);
    mask = mask_.data();
  }
  // U = k / 2^24 with k the element's 24-bit hash under this call's key (one
  // draw of the model's Rng); U >= rate <=> k >= ceil(rate 2^24).
  const int32_t threshold = static_cast<int32_t>(std::ceil(rate_ * 16777216.0));
  const uint64_t key = ctx.rng.Next();
  const float* x = src.data();
  float* y = dst->data();
  ParallelRanges(n, [&](int64_t begin, int64_t end) {
    DropoutRange(x, y, mask, begin, end, key, threshold, transform_);
  });
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
  ParallelRanges(n, [&](int64_t begin, int64_t end) {
    MultiplyRange(dy + begin, mask + begin, dx + begin, end - begin);
  });
}

}  // namespace profundo
