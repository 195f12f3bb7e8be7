// PReLU: Keras's parametric ReLU, dst = relu(src) - alpha * relu(-src) with
// one learned alpha per unit (per element of the per-sample shape, Keras's
// default with no shared axes).
//
// Parameter: "<name>/alpha", shape = the per-sample input shape, trainable,
// initialized by alpha_initializer (Keras default "zeros"), with the spec's
// regularizer and max_norm constraint attached.
//
// Hand-written loops over rows. Backward needs only src. Owns its
// initializer. Not thread-safe (engine/layers/layer.h).
#ifndef PROFUNDO_ENGINE_LAYERS_PRELU_H_
#define PROFUNDO_ENGINE_LAYERS_PRELU_H_

#include <memory>
#include <optional>
#include <string>

#include "engine/constraints/max_norm.h"
#include "engine/initializers/initializer.h"
#include "engine/layers/layer.h"
#include "engine/regularizers/regularizer.h"

namespace profundo {

struct PReLUOptions {
  // Null means zeros.
  std::unique_ptr<Initializer> alpha_initializer;
  Regularizer alpha_regularizer;
  std::optional<MaxNorm> alpha_constraint;
};

class PReLU final : public Layer {
 public:
  PReLU(std::string name, PReLUOptions options);
  ~PReLU() override;

  const char* type() const override { return "PReLU"; }
  absl::StatusOr<Shape> Build(const Shape& input_shape,
                              ParameterStore& store) override;
  void Initialize(ParameterStore& store, Rng& rng) override;
  void Forward(const Tensor& src, Tensor* dst, Mode mode,
               Context& ctx) override;
  void Backward(const Tensor& src, const Tensor& dst, const Tensor& diff_dst,
                Tensor* diff_src, Context& ctx) override;

  int alpha_id() const { return alpha_id_; }

 private:
  PReLUOptions options_;
  Shape alpha_shape_;
  int alpha_id_ = -1;
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_PRELU_H_
