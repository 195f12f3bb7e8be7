// ELU(alpha=1.0): Keras's layer, dst = src for src > 0, alpha * (e^src - 1)
// otherwise. alpha must be >= 0 (the backward reads the sign of dst).
// No parameters; see activation_layer.h for ownership and threading.
#ifndef PROFUNDO_ENGINE_LAYERS_ELU_H_
#define PROFUNDO_ENGINE_LAYERS_ELU_H_

#include <string>

#include "engine/layers/activation_layer.h"

namespace profundo {

class ELU final : public ActivationLayerBase {
 public:
  explicit ELU(std::string name, double alpha = kDefaultEluAlpha)
      : ActivationLayerBase(std::move(name), ActivationKind::kElu, alpha) {}
  const char* type() const override { return "ELU"; }
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_ELU_H_
