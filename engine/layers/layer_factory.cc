#include "engine/layers/layer_factory.h"

#include <cmath>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/activations/activation.h"
#include "engine/constraints/max_norm.h"
#include "engine/field_checks.h"
#include "engine/initializers/initializer.h"
#include "engine/layers/activation_layer.h"
#include "engine/layers/alpha_dropout.h"
#include "engine/layers/batch_normalization.h"
#include "engine/layers/dense.h"
#include "engine/layers/dropout.h"
#include "engine/layers/elu.h"
#include "engine/layers/flatten.h"
#include "engine/layers/leaky_relu.h"
#include "engine/layers/mc_alpha_dropout.h"
#include "engine/layers/mc_dropout.h"
#include "engine/layers/prelu.h"
#include "engine/regularizers/regularizer.h"
#include "engine/status_macros.h"

namespace profundo {
namespace {

// Largest Dense width accepted (the model caps input dimensions alike).
constexpr int64_t kMaxUnits = int64_t{1} << 24;

std::string Path(std::string_view field, std::string_view arg) {
  return absl::StrCat(std::string(field), ".", std::string(arg));
}

absl::Status CheckFiniteNonNegative(double value, std::string_view field) {
  if (std::isfinite(value) && value >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(field), " must be finite and >= 0, got ", value));
}

// What the spec says about one weight tensor: "<prefix>_initializer" (or
// `default_initializer`), its args, "<prefix>_regularizer" and
// "<prefix>_constraint" for a tensor of `rank`.
struct WeightSpec {
  std::unique_ptr<Initializer> initializer;
  Regularizer regularizer;
  std::optional<MaxNorm> constraint;
};

absl::StatusOr<WeightSpec> MakeWeightSpec(
    std::string_view field, std::string_view prefix,
    const std::string& initializer, const char* default_initializer,
    const v1::InitializerArgs& args, const v1::Regularizer& regularizer,
    const v1::Constraint& constraint, int rank) {
  const std::string path = Path(field, prefix);
  WeightSpec w;
  PROFUNDO_ASSIGN_OR_RETURN(
      w.initializer,
      MakeInitializer(initializer.empty() ? default_initializer : initializer,
                      args, path + "_initializer"));
  PROFUNDO_ASSIGN_OR_RETURN(
      w.regularizer, MakeRegularizer(regularizer, path + "_regularizer"));
  if (constraint.has_max_norm()) {
    PROFUNDO_ASSIGN_OR_RETURN(
        w.constraint,
        MakeMaxNorm(constraint.max_norm(), std::vector<int64_t>(rank, 1),
                    path + "_constraint.max_norm"));
  }
  return w;
}

absl::StatusOr<std::unique_ptr<Layer>> MakeDense(const v1::Dense& spec,
                                                 std::string name,
                                                 std::string_view field,
                                                 DtypePolicy policy) {
  DenseOptions o;
  o.dtype_policy = policy;
  o.units = spec.units();
  if (o.units <= 0) {
    return absl::InvalidArgumentError(Path(field, "units must be > 0"));
  }
  if (o.units > kMaxUnits) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ".units must be <= ", kMaxUnits));
  }
  PROFUNDO_ASSIGN_OR_RETURN(
      o.activation,
      ParseActivation(spec.activation(), Path(field, "activation")));
  o.use_bias = spec.has_use_bias() ? spec.use_bias() : true;
  PROFUNDO_ASSIGN_OR_RETURN(
      WeightSpec kernel,
      MakeWeightSpec(field, "kernel", spec.kernel_initializer(),
                     "glorot_uniform", spec.kernel_initializer_args(),
                     spec.kernel_regularizer(), spec.kernel_constraint(), 2));
  o.kernel_initializer = std::move(kernel.initializer);
  o.kernel_regularizer = kernel.regularizer;
  o.kernel_constraint = kernel.constraint;
  if (o.use_bias) {
    PROFUNDO_ASSIGN_OR_RETURN(
        WeightSpec bias,
        MakeWeightSpec(field, "bias", spec.bias_initializer(), "zeros",
                       spec.bias_initializer_args(), spec.bias_regularizer(),
                       spec.bias_constraint(), 1));
    o.bias_initializer = std::move(bias.initializer);
    o.bias_regularizer = bias.regularizer;
    o.bias_constraint = bias.constraint;
  }
  return std::make_unique<Dense>(std::move(name), std::move(o));
}

absl::StatusOr<std::unique_ptr<Layer>> MakePReLU(const v1::PReLU& spec,
                                                 std::string name,
                                                 std::string_view field) {
  PROFUNDO_ASSIGN_OR_RETURN(
      WeightSpec alpha,
      MakeWeightSpec(field, "alpha", spec.alpha_initializer(), "zeros",
                     spec.alpha_initializer_args(), spec.alpha_regularizer(),
                     spec.alpha_constraint(), 1));
  PReLUOptions o;
  o.alpha_initializer = std::move(alpha.initializer);
  o.alpha_regularizer = alpha.regularizer;
  o.alpha_constraint = alpha.constraint;
  return std::make_unique<PReLU>(std::move(name), std::move(o));
}

absl::StatusOr<std::unique_ptr<Layer>> MakeBatchNormalization(
    const v1::BatchNormalization& spec, std::string name,
    std::string_view field) {
  BatchNormalizationOptions o;
  // 0 is proto3's "unset"; a positive axis is checked against the input's
  // rank in Build.
  if (spec.axis() < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field),
                     ".axis must be -1 (the last axis), got ", spec.axis()));
  }
  o.axis = spec.axis() == 0 ? -1 : spec.axis();
  if (spec.has_momentum()) o.momentum = spec.momentum();
  PROFUNDO_RETURN_IF_ERROR(
      CheckInClosedRange(o.momentum, 0, 1, Path(field, "momentum")));
  if (spec.has_epsilon()) o.epsilon = spec.epsilon();
  if (!(std::isfinite(o.epsilon) && o.epsilon > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field),
                     ".epsilon must be finite and > 0, got ", o.epsilon));
  }
  o.center = spec.has_center() ? spec.center() : true;
  o.scale = spec.has_scale() ? spec.scale() : true;
  return std::make_unique<BatchNormalization>(std::move(name), o);
}

absl::Status CheckRate(double rate, std::string_view field) {
  return CheckInHalfOpenRange(rate, 0, 1, Path(field, "rate"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Layer>> MakeLayer(const v1::Layer& spec,
                                                 std::string name,
                                                 std::string_view field,
                                                 DtypePolicy policy) {
  switch (spec.kind_case()) {
    case v1::Layer::kFlatten:
      return std::make_unique<Flatten>(std::move(name));
    case v1::Layer::kDense:
      return MakeDense(spec.dense(), std::move(name), field, policy);
    case v1::Layer::kActivation: {
      PROFUNDO_ASSIGN_OR_RETURN(ActivationKind kind,
                                ParseActivation(spec.activation().activation(),
                                                Path(field, "activation")));
      return std::make_unique<Activation>(std::move(name), kind);
    }
    case v1::Layer::kLeakyRelu: {
      const double alpha = spec.leaky_relu().has_alpha()
                               ? spec.leaky_relu().alpha()
                               : kDefaultLeakyReluAlpha;
      PROFUNDO_RETURN_IF_ERROR(
          CheckFiniteNonNegative(alpha, Path(field, "alpha")));
      return std::make_unique<LeakyReLU>(std::move(name), alpha);
    }
    case v1::Layer::kElu: {
      const double alpha =
          spec.elu().has_alpha() ? spec.elu().alpha() : kDefaultEluAlpha;
      PROFUNDO_RETURN_IF_ERROR(
          CheckFiniteNonNegative(alpha, Path(field, "alpha")));
      return std::make_unique<ELU>(std::move(name), alpha);
    }
    case v1::Layer::kPrelu:
      return MakePReLU(spec.prelu(), std::move(name), field);
    case v1::Layer::kBatchNormalization:
      return MakeBatchNormalization(spec.batch_normalization(), std::move(name),
                                    field);
    case v1::Layer::kDropout:
      PROFUNDO_RETURN_IF_ERROR(CheckRate(spec.dropout().rate(), field));
      return std::make_unique<Dropout>(std::move(name), spec.dropout().rate());
    case v1::Layer::kAlphaDropout:
      PROFUNDO_RETURN_IF_ERROR(CheckRate(spec.alpha_dropout().rate(), field));
      return std::make_unique<AlphaDropout>(std::move(name),
                                            spec.alpha_dropout().rate());
    case v1::Layer::kMcDropout:
      PROFUNDO_RETURN_IF_ERROR(CheckRate(spec.mc_dropout().rate(), field));
      return std::make_unique<MCDropout>(std::move(name),
                                         spec.mc_dropout().rate());
    case v1::Layer::kMcAlphaDropout:
      PROFUNDO_RETURN_IF_ERROR(
          CheckRate(spec.mc_alpha_dropout().rate(), field));
      return std::make_unique<MCAlphaDropout>(std::move(name),
                                              spec.mc_alpha_dropout().rate());
    case v1::Layer::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field),
                   " has no layer type (set one of flatten, dense, activation, "
                   "leaky_relu, elu, prelu, batch_normalization, dropout, "
                   "alpha_dropout, mc_dropout, mc_alpha_dropout)"));
}

const char* DefaultLayerBaseName(const v1::Layer& spec) {
  switch (spec.kind_case()) {
    case v1::Layer::kFlatten:
      return "flatten";
    case v1::Layer::kDense:
      return "dense";
    case v1::Layer::kActivation:
      return "activation";
    case v1::Layer::kLeakyRelu:
      return "leaky_re_lu";
    case v1::Layer::kElu:
      return "elu";
    case v1::Layer::kPrelu:
      return "p_re_lu";
    case v1::Layer::kBatchNormalization:
      return "batch_normalization";
    case v1::Layer::kDropout:
      return "dropout";
    case v1::Layer::kAlphaDropout:
      return "alpha_dropout";
    case v1::Layer::kMcDropout:
      return "mc_dropout";
    case v1::Layer::kMcAlphaDropout:
      return "mc_alpha_dropout";
    case v1::Layer::KIND_NOT_SET:
      break;
  }
  return "layer";
}

}  // namespace profundo
