// Flatten: Keras's layer, per-sample [d1, d2, ...] -> [d1 * d2 * ...].
// Forward copies src into dst with the new shape; Backward copies diff_dst
// back with src's shape. No parameters and no state: safe to share, though
// the model runs it from one thread (engine/layers/layer.h).
#ifndef PROFUNDO_ENGINE_LAYERS_FLATTEN_H_
#define PROFUNDO_ENGINE_LAYERS_FLATTEN_H_

#include <string>

#include "engine/layers/layer.h"

namespace profundo {

class Flatten final : public Layer {
 public:
  explicit Flatten(std::string name) : Layer(std::move(name)) {}

  const char* type() const override { return "Flatten"; }
  absl::StatusOr<Shape> Build(const Shape& input_shape,
                              ParameterStore& store) override;
  void Forward(const Tensor& src, Tensor* dst, Mode mode,
               Context& ctx) override;
  void Backward(const Tensor& src, const Tensor& dst, const Tensor& diff_dst,
                Tensor* diff_src, Context& ctx) override;
  bool reshapes_only() const override { return true; }
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_FLATTEN_H_
