// MakeLoss: names, Keras aliases, and the error for an unknown name.
#include "engine/losses/loss.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

TEST(MakeLossTest, KnownNamesAndAliases) {
  const std::pair<const char*, const char*> cases[] = {
      {"sparse_categorical_crossentropy", "sparse_categorical_crossentropy"},
      {"SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"},
      {"categorical_crossentropy", "categorical_crossentropy"},
      {"binary_crossentropy", "binary_crossentropy"},
      {"mse", "mse"},
      {"mean_squared_error", "mse"},
      {"MeanSquaredError", "mse"},
  };
  for (const auto& [name, canonical] : cases) {
    auto loss = MakeLoss(name, "loss");
    ASSERT_TRUE(loss.ok()) << name << ": " << loss.status();
    EXPECT_STREQ((*loss)->name(), canonical);
  }
  EXPECT_TRUE(
      (*MakeLoss("sparse_categorical_crossentropy", "loss"))->sparse_labels());
  EXPECT_FALSE(
      (*MakeLoss("categorical_crossentropy", "loss"))->sparse_labels());
}

TEST(MakeLossTest, UnknownNameListsTheAcceptedOnes) {
  for (const char* name : {"hinge", "", "MSE"}) {
    auto loss = MakeLoss(name, "loss");
    ASSERT_FALSE(loss.ok());
    EXPECT_EQ(loss.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(loss.status().message(),
              "loss '" + std::string(name) +
                  "' is not a known loss; expected one of "
                  "sparse_categorical_crossentropy, categorical_crossentropy, "
                  "binary_crossentropy, mse");
  }
}

}  // namespace
}  // namespace profundo
