// AlphaDropout(rate): Keras's dropout for SELU networks, which keeps the
// mean and variance of standardized inputs (SPEC.md "Layers"). Dropped units
// are set to alpha' = -scale_selu * alpha_selu, then dst = a * x + b with
//   a = ((1 - rate) (1 + rate alpha'^2))^-1/2,   b = -a alpha' rate.
// Active in kTrain and kMcSample; MCAlphaDropout (mc_alpha_dropout.h) in
// every mode. See dropout_base.h for state and threading.
#ifndef PROFUNDO_ENGINE_LAYERS_ALPHA_DROPOUT_H_
#define PROFUNDO_ENGINE_LAYERS_ALPHA_DROPOUT_H_

#include <string>

#include "engine/activations/activation.h"
#include "engine/layers/dropout_base.h"

namespace profundo {

// alpha' = -1.7580993408473766.
inline constexpr double kAlphaDropoutAlphaP = -kSeluScale * kSeluAlpha;

struct AlphaDropoutCoefficients {
  double a;
  double b;
};
AlphaDropoutCoefficients AlphaDropoutCoefficientsFor(double rate);

class AlphaDropout : public DropoutBase {
 public:
  // rate in [0, 1).
  AlphaDropout(std::string name, double rate)
      : AlphaDropout(std::move(name), rate, false) {}
  const char* type() const override { return "AlphaDropout"; }

 protected:
  AlphaDropout(std::string name, double rate, bool always_active);
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_ALPHA_DROPOUT_H_
