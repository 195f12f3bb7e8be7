// Model::Create and Model::Describe against the parameter limit: it is
// counted layer by layer before any weight is allocated, so an absurd spec
// is refused (naming the layer that crosses it) without allocating.
#include <cstdint>

#include "engine/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/model/test_models.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;

TEST(ModelLimitsTest, SeedModelFitsExactlyItsParameterCount) {
  auto fits = Model::Create(SpecFromJson(kSeedBn), 42, /*max_params=*/271'346);
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ((*fits)->summary().total, 271'346);

  // One fewer: the last Dense (1,010 weights) is the layer that crosses it.
  auto over = Model::Create(SpecFromJson(kSeedBn), 42, /*max_params=*/271'345);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(over.status().message(),
            "layers[6].dense: the model has 271346 parameters up to this "
            "layer, more than the limit of 271345");
}

// Describe validates as Create does and summarizes the same model, without
// allocating a weight: 2^33 parameters (32 GiB of float weights, more than
// the machine has) are described in no time.
TEST(ModelLimitsTest, DescribeSummarizesWithoutAllocating) {
  auto model = Model::Create(SpecFromJson(kSeedBn));
  ASSERT_TRUE(model.ok()) << model.status();
  auto described = Model::Describe(SpecFromJson(kSeedBn));
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->input_shape, (*model)->input_shape());
  EXPECT_EQ(described->output_shape, (*model)->output_shape());
  EXPECT_EQ(described->summary.ToString(), (*model)->summary().ToString());

  auto over = Model::Describe(SpecFromJson(kSeedBn), /*max_params=*/271'345);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(over.status().message(),
            "layers[6].dense: the model has 271346 parameters up to this "
            "layer, more than the limit of 271345");

  auto huge = Model::Describe(SpecFromJson(R"({
    "layers": [
      {"dense": {"units": 131072, "input_shape": [65536], "use_bias": false}},
      {"dense": {"units": 2, "use_bias": false}}],
    "loss": "sparse_categorical_crossentropy",
    "optimizer": {"sgd": {}}})"));
  ASSERT_TRUE(huge.ok()) << huge.status();
  EXPECT_EQ(huge->summary.total, (int64_t{1} << 33) + 2 * 131072);
}

TEST(ModelLimitsTest, FirstLayerOverTheLimitIsNamed) {
  // Flatten 0, BN 4 x 784 = 3,136, Dense 784 x 300 + 300 = 235,500.
  auto over = Model::Create(SpecFromJson(kSeedBn), 42, /*max_params=*/100'000);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(over.status().message(),
              HasSubstr("layers[2].dense: the model has 238636 parameters"));
}

TEST(ModelLimitsTest, HugeLayersAreRefusedBeforeAllocation) {
  // Units at the factory's cap (2^24): 784 x 2^24 + 2^24 = 13,170,114,560
  // weights (49 GiB) in layers[1] alone. Allocating them would abort the
  // test; the limit stops the build first.
  const v1::ModelSpec spec = SpecFromJson(R"({
    "layers": [
      {"flatten": {"input_shape": [28, 28]}},
      {"dense": {"units": 16777216}},
      {"dense": {"units": 16777216}},
      {"dense": {"units": 10}}]})");
  auto model = Model::Create(spec, 42, /*max_params=*/100'000'000);
  EXPECT_EQ(model.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(model.status().message(),
            "layers[1].dense: the model has 13170114560 parameters up to "
            "this layer, more than the limit of 100000000");
  // Beyond the cap the spec is malformed, whatever the limit.
  v1::ModelSpec wider = spec;
  wider.mutable_layers(1)->mutable_dense()->set_units(int64_t{1} << 40);
  EXPECT_EQ(Model::Create(wider).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ModelLimitsTest, NumElementsWithAZeroDimensionDoesNotOverflow) {
  // A decoded IDX or .npy header may declare such shapes.
  const int64_t big = int64_t{1} << 40;
  EXPECT_EQ(NumElements({big, big, 0}), 0);
  EXPECT_EQ(NumElements({0, big, big}), 0);
  EXPECT_EQ(Tensor({big, big, big, 0}).size(), 0);
  EXPECT_EQ(NumElements({3, 4}), 12);
}

}  // namespace
}  // namespace profundo
