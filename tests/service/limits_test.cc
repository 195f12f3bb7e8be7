#include "server/limits.h"

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace profundo::server {
namespace {

TEST(LimitsTest, CheckLimitAllowsUpToTheLimitAndNamesTheFlagBeyond) {
  EXPECT_TRUE(CheckLimit("inputs.shape[0]", 64, "max_predict_rows", 64).ok());
  const absl::Status over =
      CheckLimit("inputs.shape[0]", 65, "max_predict_rows", 64);
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(over.message(),
            "inputs.shape[0] is 65; the server's --max_predict_rows is 64");
}

TEST(LimitsTest, EveryLimitMustBePositive) {
  EXPECT_TRUE(ValidateLimits(Limits()).ok());
  struct Case {
    std::string flag;
    std::function<void(Limits*)> set_zero;
  };
  const std::vector<Case> cases = {
      {"max_dataset_rows", [](Limits* l) { l->max_dataset_rows = 0; }},
      {"max_features", [](Limits* l) { l->max_features = 0; }},
      {"max_dataset_bytes", [](Limits* l) { l->max_dataset_bytes = 0; }},
      {"max_model_params", [](Limits* l) { l->max_model_params = 0; }},
      {"max_layers", [](Limits* l) { l->max_layers = 0; }},
      {"max_spec_bytes", [](Limits* l) { l->max_spec_bytes = 0; }},
      {"max_predict_rows", [](Limits* l) { l->max_predict_rows = 0; }},
      {"max_mc_samples", [](Limits* l) { l->max_mc_samples = 0; }},
  };
  for (const Case& c : cases) {
    Limits limits;
    c.set_zero(&limits);
    const absl::Status status = ValidateLimits(limits);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.flag;
    EXPECT_EQ(status.message(), "--" + c.flag + " must be >= 1 (got 0)");
  }
}

}  // namespace
}  // namespace profundo::server
