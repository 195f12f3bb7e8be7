// LeakyReLU(alpha=0.3): Keras's layer (tf.keras 2.x default slope),
// dst = src for src > 0, alpha * src otherwise. alpha must be >= 0.
// No parameters; see activation_layer.h for ownership and threading.
#ifndef PROFUNDO_ENGINE_LAYERS_LEAKY_RELU_H_
#define PROFUNDO_ENGINE_LAYERS_LEAKY_RELU_H_

#include <string>

#include "engine/layers/activation_layer.h"

namespace profundo {

class LeakyReLU final : public ActivationLayerBase {
 public:
  explicit LeakyReLU(std::string name, double alpha = kDefaultLeakyReluAlpha)
      : ActivationLayerBase(std::move(name), ActivationKind::kLeakyRelu,
                            alpha) {}
  const char* type() const override { return "LeakyReLU"; }
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_LEAKY_RELU_H_
