// Dropout(rate): Keras's inverted dropout. In kTrain and kMcSample each unit
// is kept when U >= rate and scaled by 1 / (1 - rate), else set to 0; the
// identity in kInference. MCDropout (mc_dropout.h) is the same layer active
// in every mode. See dropout_base.h for state and threading.
#ifndef PROFUNDO_ENGINE_LAYERS_DROPOUT_H_
#define PROFUNDO_ENGINE_LAYERS_DROPOUT_H_

#include <string>

#include "engine/layers/dropout_base.h"

namespace profundo {

class Dropout : public DropoutBase {
 public:
  // rate in [0, 1).
  Dropout(std::string name, double rate)
      : Dropout(std::move(name), rate, false) {}
  const char* type() const override { return "Dropout"; }

 protected:
  Dropout(std::string name, double rate, bool always_active)
      : DropoutBase(std::move(name), rate,
                    {static_cast<float>(1.0 / (1.0 - rate)), 0.f, 0.f},
                    always_active) {}
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_DROPOUT_H_
