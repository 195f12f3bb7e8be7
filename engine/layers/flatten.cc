#include "engine/layers/flatten.h"

#include <cstring>

namespace profundo {

absl::StatusOr<Shape> Flatten::Build(const Shape& input_shape,
                                     ParameterStore& store) {
  return Shape{NumElements(input_shape)};
}

void Flatten::Forward(const Tensor& src, Tensor* dst, Mode mode, Context& ctx) {
  dst->Resize({src.dim(0), src.row_size()});
  if (src.size() > 0) {
    std::memcpy(dst->data(), src.data(), sizeof(float) * src.size());
  }
}

void Flatten::Backward(const Tensor& src, const Tensor& dst,
                       const Tensor& diff_dst, Tensor* diff_src, Context& ctx) {
  if (diff_src == nullptr) return;
  diff_src->Resize(src.shape());
  if (diff_dst.size() > 0) {
    std::memcpy(diff_src->data(), diff_dst.data(),
                sizeof(float) * diff_dst.size());
  }
}

}  // namespace profundo
