// MCDropout(rate): the seed's Monte Carlo dropout, a Dropout that stays
// active at prediction time (kTrain, kInference and kMcSample). See
// dropout.h.
#ifndef PROFUNDO_ENGINE_LAYERS_MC_DROPOUT_H_
#define PROFUNDO_ENGINE_LAYERS_MC_DROPOUT_H_

#include <string>

#include "engine/layers/dropout.h"

namespace profundo {

class MCDropout final : public Dropout {
 public:
  MCDropout(std::string name, double rate)
      : Dropout(std::move(name), rate, /*always_active=*/true) {}
  const char* type() const override { return "MCDropout"; }
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_MC_DROPOUT_H_
