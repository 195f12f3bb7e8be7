// Activation layers: Keras's Activation(name), and the base shared with
// LeakyReLU (leaky_relu.h) and ELU (elu.h). dst = f(src) elementwise, or
// softmax over the last axis, for any per-sample shape; no parameters.
//
// The math is ActivationOp's (activation_op.h), the same code Dense uses.
// Backward needs only dst. Owns its ActivationOp. Not thread-safe
// (engine/layers/layer.h).
//
// Example:
//   Activation act("activation", ActivationKind::kSoftmax);
#ifndef PROFUNDO_ENGINE_LAYERS_ACTIVATION_LAYER_H_
#define PROFUNDO_ENGINE_LAYERS_ACTIVATION_LAYER_H_

#include <string>

#include "engine/activations/activation.h"
#include "engine/layers/activation_op.h"
#include "engine/layers/layer.h"

namespace profundo {

class ActivationLayerBase : public Layer {
 public:
  absl::StatusOr<Shape> Build(const Shape& input_shape,
                              ParameterStore& store) override;
  void Forward(const Tensor& src, Tensor* dst, Mode mode,
               Context& ctx) override;
  void Backward(const Tensor& src, const Tensor& dst, const Tensor& diff_dst,
                Tensor* diff_src, Context& ctx) override;

  ActivationKind activation() const { return op_.kind(); }
  double alpha() const { return op_.alpha(); }
  int64_t primitive_builds() const { return op_.primitive_builds(); }

 protected:
  ActivationLayerBase(std::string name, ActivationKind kind, double alpha);

 private:
  ActivationOp op_;
};

class Activation final : public ActivationLayerBase {
 public:
  // Leaky ReLU and ELU take Keras's default alphas.
  Activation(std::string name, ActivationKind kind)
      : ActivationLayerBase(std::move(name), kind,
                            ActivationOp::DefaultAlpha(kind)) {}
  const char* type() const override { return "Activation"; }
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_ACTIVATION_LAYER_H_
