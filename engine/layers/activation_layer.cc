#include "engine/layers/activation_layer.h"

#include <utility>

namespace profundo {
namespace {

// Elements per softmax row: the last per-sample dimension.
int64_t LastDim(const Tensor& t) {
  return t.rank() >= 2 ? t.shape().back() : 1;
}

}  // namespace

ActivationLayerBase::ActivationLayerBase(std::string name, ActivationKind kind,
                                         double alpha)
    : Layer(std::move(name)), op_(kind, alpha) {}

absl::StatusOr<Shape> ActivationLayerBase::Build(const Shape& input_shape,
                                                 ParameterStore& store) {
  return input_shape;
}

void ActivationLayerBase::Forward(const Tensor& src, Tensor* dst, Mode mode,
                                  Context& ctx) {
  dst->Resize(src.shape());
  if (src.size() == 0) return;
  const int64_t cols = LastDim(src);
  op_.Forward(src.data(), dst->data(), src.size() / cols, cols, ctx.dnnl);
}

void ActivationLayerBase::Backward(const Tensor& src, const Tensor& dst,
                                   const Tensor& diff_dst, Tensor* diff_src,
                                   Context& ctx) {
  if (diff_src == nullptr) return;
  diff_src->Resize(src.shape());
  if (src.size() == 0) return;
  const int64_t cols = LastDim(dst);
  op_.Backward(dst.data(), diff_dst.data(), diff_src->data(), dst.size() / cols,
               cols, ctx.dnnl);
}

}  // namespace profundo
