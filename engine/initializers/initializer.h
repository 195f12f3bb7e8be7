// Initializer: Keras's kernel/bias initializers (SPEC.md "Initializers").
// For a Dense kernel [fan_in, units]: fan_in = shape[0], fan_out = shape[1];
// for a 1-D tensor fan_in = fan_out = shape[0]. A fan is at least 1.
//
// Immutable after construction; Fill draws from the caller's Rng.
//
// Example:
//   auto init = MakeInitializer("he_normal", {}, "layers[1].dense");
//   (*init)->Fill(kernel, {784, 300}, rng);
#ifndef PROFUNDO_ENGINE_INITIALIZERS_INITIALIZER_H_
#define PROFUNDO_ENGINE_INITIALIZERS_INITIALIZER_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "profundo/v1/model.pb.h"

namespace profundo {

class Initializer {
 public:
  virtual ~Initializer() = default;
  // Fills the NumElements(shape) floats at w.
  virtual void Fill(float* w, const Shape& shape, Rng& rng) const = 0;
};

// Names: glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform,
// lecun_normal, variance_scaling, random_normal, random_uniform, zeros, ones,
// constant; `args` carries the parameters of the last five. `field` is the
// spec path of the name (e.g. "layers[1].dense.kernel_initializer"), used in
// INVALID_ARGUMENT messages ("...kernel_initializer_args.mode must be one
// of fan_in, fan_out, fan_avg").
absl::StatusOr<std::unique_ptr<Initializer>> MakeInitializer(
    std::string_view name, const v1::InitializerArgs& args,
    std::string_view field);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_INITIALIZERS_INITIALIZER_H_
