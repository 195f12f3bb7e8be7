// Activation functions by Keras name, and their elementwise math.
//
// The layers run these through oneDNN eltwise primitives where oneDNN has the
// algorithm (see layers/activation_op.h); the plain functions here are the
// reference definitions (used for SELU's constants, tests and small loops).
#ifndef PROFUNDO_ENGINE_ACTIVATIONS_ACTIVATION_H_
#define PROFUNDO_ENGINE_ACTIVATIONS_ACTIVATION_H_

#include <string_view>

#include "absl/status/statusor.h"

namespace profundo {

enum class ActivationKind {
  kLinear,
  kSigmoid,
  kTanh,
  kRelu,
  kLeakyRelu,  // alpha 0.3 unless a LeakyReLU layer says otherwise
  kElu,        // alpha 1.0 unless an ELU layer says otherwise
  kSelu,
  kSoftmax,    // over the last axis
};

inline constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
inline constexpr double kSeluScale = 1.0507009873554804934193349852946;
inline constexpr double kDefaultLeakyReluAlpha = 0.3;  // tf.keras 2.x
inline constexpr double kDefaultEluAlpha = 1.0;

// "" and "linear" -> kLinear. Unknown names: INVALID_ARGUMENT naming `field`
// and listing the accepted names.
absl::StatusOr<ActivationKind> ParseActivation(std::string_view name,
                                               std::string_view field);
// Keras name of a kind: "relu", ...
const char* ActivationName(ActivationKind kind);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_ACTIVATIONS_ACTIVATION_H_
