// Layer factory: one engine layer from its v1::Layer spec, with every
// argument validated and Keras's defaults applied (proto/profundo/v1/
// model.proto). Input shapes (`input_shape` fields) and layer names are the
// model's business; shape-dependent checks (e.g. Dense after a non-flat
// input) come from Layer::Build.
//
// Free functions; thread-safe.
//
// Example:
//   PROFUNDO_ASSIGN_OR_RETURN(
//       std::unique_ptr<Layer> layer,
//       MakeLayer(spec.layers(2), "dense_1", "layers[2].dense"));
#ifndef PROFUNDO_ENGINE_LAYERS_LAYER_FACTORY_H_
#define PROFUNDO_ENGINE_LAYERS_LAYER_FACTORY_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/layers/layer.h"
#include "engine/mixed_precision/policy.h"
#include "profundo/v1/model.pb.h"

namespace profundo {

// `field` is the spec path of the layer's kind message, e.g.
// "layers[2].dense"; errors are INVALID_ARGUMENT naming the argument under
// it ("layers[2].dense.units must be > 0"). `policy` is the model's
// mixed-precision policy (Dense uses it; the other layers compute in f32).
absl::StatusOr<std::unique_ptr<Layer>> MakeLayer(
    const v1::Layer& spec, std::string name, std::string_view field,
    DtypePolicy policy = DtypePolicy::kFloat32);

// Keras's base name for default layer names (dense, dense_1, ...):
// "flatten", "dense", "activation", "leaky_re_lu", "elu", "p_re_lu",
// "batch_normalization", "dropout", "alpha_dropout", "mc_dropout",
// "mc_alpha_dropout"; "layer" when no kind is set.
const char* DefaultLayerBaseName(const v1::Layer& spec);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_LAYERS_LAYER_FACTORY_H_
