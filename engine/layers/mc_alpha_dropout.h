// MCAlphaDropout(rate): an AlphaDropout that stays active at prediction time
// (kTrain, kInference and kMcSample). See alpha_dropout.h.
#ifndef PROFUNDO_ENGINE_LAYERS_MC_ALPHA_DROPOUT_H_
#define PROFUNDO_ENGINE_LAYERS_MC_ALPHA_DROPOUT_H_

#include <string>

#include "engine/layers/alpha_dropout.h"

namespace profundo {

class MCAlphaDropout final : public AlphaDropout {
 public:
  MCAlphaDropout(std::string name, double rate)
      : AlphaDropout(std::move(name), rate, /*always_active=*/true) {}
  const char* type() const override { return "MCAlphaDropout"; }
};

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_MC_ALPHA_DROPOUT_H_
