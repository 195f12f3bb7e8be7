// MakeLayer: every kind from its spec with Keras's defaults; bad specs give
// INVALID_ARGUMENT naming the exact field path; DefaultLayerBaseName.
#include "engine/layers/layer_factory.h"

#include <cmath>
#include <memory>
#include <string>

#include "engine/layers/activation_layer.h"
#include "engine/layers/alpha_dropout.h"
#include "engine/layers/batch_normalization.h"
#include "engine/layers/dense.h"
#include "engine/layers/dropout.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/unit/layers/layer_test_util.h"

namespace profundo {
namespace {

using ::profundo::testing::Harness;
using ::testing::HasSubstr;

v1::Layer Spec(const std::string& text) {
  v1::Layer spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec))
      << text;
  return spec;
}

// The field path the model passes: "layers[2].<kind>".
std::string FieldOf(const v1::Layer& spec) {
  const auto* oneof = spec.GetDescriptor()->FindOneofByName("kind");
  const auto* set = spec.GetReflection()->GetOneofFieldDescriptor(spec, oneof);
  return "layers[2]" + (set ? "." + set->name() : std::string());
}

struct BadSpec {
  const char* text;
  const char* message;  // expected substring, starting with the field path
};

class MakeLayerBadSpecTest : public ::testing::TestWithParam<BadSpec> {};

TEST_P(MakeLayerBadSpecTest, InvalidArgumentNamesTheField) {
  const v1::Layer spec = Spec(GetParam().text);
  absl::StatusOr<std::unique_ptr<Layer>> layer =
      MakeLayer(spec, "x", FieldOf(spec));
  ASSERT_FALSE(layer.ok()) << GetParam().text;
  EXPECT_EQ(layer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(layer.status().message(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Table, MakeLayerBadSpecTest,
    ::testing::Values(
        BadSpec{"", "layers[2] has no layer type"},
        BadSpec{"dense {}", "layers[2].dense.units must be > 0"},
        BadSpec{"dense { units: -3 }", "layers[2].dense.units must be > 0"},
        BadSpec{"dense { units: 100000000 }",
                "layers[2].dense.units must be <= 16777216"},
        BadSpec{"dense { units: 10 activation: 'swish' }",
                "layers[2].dense.activation must be one of linear"},
        BadSpec{"dense { units: 10 kernel_initializer: 'he_normalz' }",
                "layers[2].dense.kernel_initializer"},
        BadSpec{"dense { units: 10 kernel_initializer: 'variance_scaling' "
                "kernel_initializer_args { mode: 'fan_sideways' } }",
                "layers[2].dense.kernel_initializer"},
        BadSpec{"dense { units: 10 bias_initializer: 'nope' }",
                "layers[2].dense.bias_initializer"},
        BadSpec{"dense { units: 10 kernel_regularizer { l2: -1 } }",
                "layers[2].dense.kernel_regularizer.l2"},
        BadSpec{"dense { units: 10 bias_regularizer { l1: nan } }",
                "layers[2].dense.bias_regularizer.l1"},
        BadSpec{"dense { units: 10 kernel_constraint { max_norm { "
                "max_value: -1 } } }",
                "layers[2].dense.kernel_constraint.max_norm.max_value"},
        BadSpec{"dense { units: 10 kernel_constraint { max_norm { axis: 2 } "
                "} }",
                "layers[2].dense.kernel_constraint.max_norm.axis"},
        BadSpec{"dense { units: 10 bias_constraint { max_norm { axis: 1 } } "
                "}",
                "layers[2].dense.bias_constraint.max_norm.axis"},
        BadSpec{"activation { activation: 'Relu' }",
                "layers[2].activation.activation must be one of"},
        BadSpec{"leaky_relu { alpha: -0.1 }",
                "layers[2].leaky_relu.alpha must be finite and >= 0"},
        BadSpec{"leaky_relu { alpha: inf }", "layers[2].leaky_relu.alpha"},
        BadSpec{"elu { alpha: -1 }", "layers[2].elu.alpha must be"},
        BadSpec{"prelu { alpha_initializer: 'bad' }",
                "layers[2].prelu.alpha_initializer"},
        BadSpec{"prelu { alpha_regularizer { l1: -1 } }",
                "layers[2].prelu.alpha_regularizer.l1"},
        BadSpec{"prelu { alpha_constraint { max_norm { max_value: -2 } } }",
                "layers[2].prelu.alpha_constraint.max_norm.max_value"},
        BadSpec{"batch_normalization { axis: -2 }",
                "layers[2].batch_normalization.axis must be -1"},
        BadSpec{"batch_normalization { momentum: 1.5 }",
                "layers[2].batch_normalization.momentum must be in [0, 1]"},
        BadSpec{"batch_normalization { momentum: nan }",
                "layers[2].batch_normalization.momentum"},
        BadSpec{"batch_normalization { epsilon: 0 }",
                "layers[2].batch_normalization.epsilon must be finite and > 0"},
        BadSpec{"batch_normalization { epsilon: -1 }",
                "layers[2].batch_normalization.epsilon"},
        BadSpec{"dropout { rate: 1 }",
                "layers[2].dropout.rate must be in [0, 1)"},
        BadSpec{"dropout { rate: -0.1 }", "layers[2].dropout.rate"},
        BadSpec{"dropout { rate: nan }", "layers[2].dropout.rate"},
        BadSpec{"alpha_dropout { rate: 1.5 }",
                "layers[2].alpha_dropout.rate must be in [0, 1)"},
        BadSpec{"mc_dropout { rate: 1 }", "layers[2].mc_dropout.rate"},
        BadSpec{"mc_alpha_dropout { rate: 2 }",
                "layers[2].mc_alpha_dropout.rate"}));

std::unique_ptr<Layer> Make(const std::string& text, const std::string& name) {
  const v1::Layer spec = Spec(text);
  absl::StatusOr<std::unique_ptr<Layer>> layer =
      MakeLayer(spec, name, FieldOf(spec));
  EXPECT_TRUE(layer.ok()) << layer.status();
  return layer.ok() ? *std::move(layer) : nullptr;
}

TEST(MakeLayer, EveryKindWithItsKerasType) {
  const struct {
    const char* text;
    const char* type;
    const char* base_name;
  } kinds[] = {
      {"flatten { input_shape: [28, 28] }", "Flatten", "flatten"},
      {"dense { units: 3 }", "Dense", "dense"},
      {"activation { activation: 'relu' }", "Activation", "activation"},
      {"leaky_relu {}", "LeakyReLU", "leaky_re_lu"},
      {"elu {}", "ELU", "elu"},
      {"prelu {}", "PReLU", "p_re_lu"},
      {"batch_normalization {}", "BatchNormalization", "batch_normalization"},
      {"dropout { rate: 0.2 }", "Dropout", "dropout"},
      {"alpha_dropout { rate: 0.2 }", "AlphaDropout", "alpha_dropout"},
      {"mc_dropout { rate: 0.2 }", "MCDropout", "mc_dropout"},
      {"mc_alpha_dropout { rate: 0.2 }", "MCAlphaDropout", "mc_alpha_dropout"},
  };
  for (const auto& k : kinds) {
    std::unique_ptr<Layer> layer = Make(k.text, "my_layer");
    ASSERT_NE(layer, nullptr) << k.text;
    EXPECT_STREQ(layer->type(), k.type);
    EXPECT_EQ(layer->name(), "my_layer");
    EXPECT_STREQ(DefaultLayerBaseName(Spec(k.text)), k.base_name);
    const std::string type = k.type;
    EXPECT_EQ(layer->stochastic(), type.find("Dropout") != std::string::npos)
        << type;
  }
  EXPECT_STREQ(DefaultLayerBaseName(v1::Layer()), "layer");
}

TEST(MakeLayer, DenseDefaultsAreKeras) {
  std::unique_ptr<Layer> layer = Make("dense { units: 300 }", "dense");
  auto* dense = dynamic_cast<Dense*>(layer.get());
  ASSERT_NE(dense, nullptr);
  EXPECT_EQ(dense->units(), 300);
  EXPECT_TRUE(dense->use_bias());
  EXPECT_EQ(dense->activation(), ActivationKind::kLinear);
  Harness h;
  ASSERT_TRUE(dense->Build({784}, h.params).ok());
  h.params.Allocate();
  h.params.trainable_values().assign(h.params.trainable_count(), 5.f);
  dense->Initialize(h.params, h.rng);
  // glorot_uniform: U[-r, r], r = sqrt(6 / (fan_in + fan_out)).
  const double r = std::sqrt(6.0 / (784 + 300));
  const float* w = h.params.value(dense->kernel_id());
  double max_abs = 0;
  for (int64_t i = 0; i < 784 * 300; ++i)
    max_abs = std::max(max_abs, double(std::abs(w[i])));
  EXPECT_LE(max_abs, r);
  EXPECT_GT(max_abs, 0.99 * r);
  const float* b = h.params.value(dense->bias_id());
  for (int j = 0; j < 300; ++j) ASSERT_EQ(b[j], 0.f);  // zeros
  EXPECT_FALSE(h.params.param(dense->kernel_id()).regularizer.active());
  EXPECT_FALSE(h.params.param(dense->kernel_id()).constraint.has_value());
}

TEST(MakeLayer, DenseArgumentsReachTheParameters) {
  std::unique_ptr<Layer> layer = Make(
      "dense { units: 4 activation: 'selu' use_bias: true "
      "kernel_initializer: 'zeros' bias_initializer: 'ones' "
      "kernel_regularizer { l1: 0.1 l2: 0.01 } bias_regularizer { l2: 0.5 } "
      "kernel_constraint { max_norm { max_value: 1.5 axis: -2 } } "
      "bias_constraint { max_norm {} } }",
      "dense_1");
  auto* dense = dynamic_cast<Dense*>(layer.get());
  ASSERT_NE(dense, nullptr);
  EXPECT_EQ(dense->activation(), ActivationKind::kSelu);
  Harness h;
  ASSERT_TRUE(dense->Build({3}, h.params).ok());
  h.params.Allocate();
  dense->Initialize(h.params, h.rng);
  const Parameter& kernel = h.params.param(dense->kernel_id());
  const Parameter& bias = h.params.param(dense->bias_id());
  EXPECT_DOUBLE_EQ(kernel.regularizer.l1, 0.1);
  EXPECT_DOUBLE_EQ(kernel.regularizer.l2, 0.01);
  EXPECT_DOUBLE_EQ(bias.regularizer.l2, 0.5);
  ASSERT_TRUE(kernel.constraint.has_value());
  EXPECT_DOUBLE_EQ(kernel.constraint->max_value, 1.5);
  EXPECT_EQ(kernel.constraint->axis, 0);  // -2 of a rank-2 kernel
  ASSERT_TRUE(bias.constraint.has_value());
  EXPECT_DOUBLE_EQ(bias.constraint->max_value, 2.0);  // Keras default
  EXPECT_EQ(h.params.value(dense->kernel_id())[5], 0.f);
  EXPECT_EQ(h.params.value(dense->bias_id())[3], 1.f);

  std::unique_ptr<Layer> no_bias =
      Make("dense { units: 4 use_bias: false bias_initializer: 'bogus' }",
           "dense_2");
  ASSERT_NE(no_bias, nullptr);  // Keras ignores the bias arguments
  EXPECT_FALSE(dynamic_cast<Dense*>(no_bias.get())->use_bias());
}

TEST(MakeLayer, BatchNormalizationDefaultsAreKeras) {
  std::unique_ptr<Layer> layer = Make("batch_normalization {}", "bn");
  auto* bn = dynamic_cast<BatchNormalization*>(layer.get());
  ASSERT_NE(bn, nullptr);
  EXPECT_EQ(bn->options().axis, -1);
  EXPECT_DOUBLE_EQ(bn->options().momentum, 0.99);
  EXPECT_DOUBLE_EQ(bn->options().epsilon, 1e-3);
  EXPECT_TRUE(bn->options().center);
  EXPECT_TRUE(bn->options().scale);

  layer = Make(
      "batch_normalization { axis: -1 momentum: 0.9 epsilon: 0.01 "
      "center: false scale: false }",
      "bn");
  bn = dynamic_cast<BatchNormalization*>(layer.get());
  ASSERT_NE(bn, nullptr);
  EXPECT_DOUBLE_EQ(bn->options().momentum, 0.9);
  EXPECT_DOUBLE_EQ(bn->options().epsilon, 0.01);
  EXPECT_FALSE(bn->options().center);
  EXPECT_FALSE(bn->options().scale);
}

// The activation layer built from `text` (kept alive by `holder`).
const ActivationLayerBase* MakeActivation(const std::string& text,
                                          std::unique_ptr<Layer>* holder) {
  *holder = Make(text, "a");
  return dynamic_cast<const ActivationLayerBase*>(holder->get());
}

TEST(MakeLayer, ActivationAlphasAndRates) {
  std::unique_ptr<Layer> holder;
  const ActivationLayerBase* a = MakeActivation("leaky_relu {}", &holder);
  ASSERT_NE(a, nullptr);
  EXPECT_DOUBLE_EQ(a->alpha(), 0.3);
  a = MakeActivation("leaky_relu { alpha: 0.2 }", &holder);
  ASSERT_NE(a, nullptr);
  EXPECT_DOUBLE_EQ(a->alpha(), 0.2);
  a = MakeActivation("elu {}", &holder);
  ASSERT_NE(a, nullptr);
  EXPECT_DOUBLE_EQ(a->alpha(), 1.0);
  a = MakeActivation("activation { activation: 'softmax' }", &holder);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->activation(), ActivationKind::kSoftmax);

  std::unique_ptr<Layer> d = Make("dropout { rate: 0.2 }", "d");
  EXPECT_DOUBLE_EQ(dynamic_cast<DropoutBase*>(d.get())->rate(), 0.2);
  std::unique_ptr<Layer> ad = Make("mc_alpha_dropout { rate: 0.1 }", "d");
  EXPECT_TRUE(dynamic_cast<DropoutBase*>(ad.get())->always_active());
  std::unique_ptr<Layer> zero = Make("dropout {}", "d");  // rate 0 is valid
  EXPECT_NE(zero, nullptr);
}

}  // namespace
}  // namespace profundo
