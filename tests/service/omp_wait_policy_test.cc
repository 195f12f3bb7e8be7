// --omp_wait_policy's decisions (server/omp_wait_policy.h): which values
// are accepted, when main must re-execute with OMP_WAIT_POLICY set, and
// how the policy in effect reads in the log. The re-execution itself is
// covered end to end (tests/e2e/omp_wait_policy_e2e_test.cc).
#include "server/omp_wait_policy.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace profundo::server {
namespace {

using ::testing::HasSubstr;

TEST(OmpWaitPolicyTest, AcceptsPassiveActiveAndEmpty) {
  EXPECT_TRUE(ValidateOmpWaitPolicy("passive").ok());
  EXPECT_TRUE(ValidateOmpWaitPolicy("active").ok());
  EXPECT_TRUE(ValidateOmpWaitPolicy("").ok());
  for (const char* bad : {"PASSIVE", "spin", "passive ", "0"}) {
    const absl::Status status = ValidateOmpWaitPolicy(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << bad;
    EXPECT_THAT(std::string(status.message()), HasSubstr("--omp_wait_policy"));
    EXPECT_THAT(std::string(status.message()),
                HasSubstr(std::string("\"") + bad + "\""));
  }
}

TEST(OmpWaitPolicyTest, SetsThePolicyOnlyWhenTheEnvironmentHasNone) {
  EXPECT_EQ(OmpWaitPolicyToSet("passive", nullptr, nullptr),
            std::optional<std::string>("passive"));
  EXPECT_EQ(OmpWaitPolicyToSet("active", nullptr, nullptr),
            std::optional<std::string>("active"));
  // Empty flag: libgomp's default, nothing to set.
  EXPECT_EQ(OmpWaitPolicyToSet("", nullptr, nullptr), std::nullopt);
  // The operator's OpenMP settings win (and a re-executed server, which
  // has the variable, does not start again).
  EXPECT_EQ(OmpWaitPolicyToSet("passive", "active", nullptr), std::nullopt);
  EXPECT_EQ(OmpWaitPolicyToSet("passive", "passive", nullptr), std::nullopt);
  EXPECT_EQ(OmpWaitPolicyToSet("passive", "", nullptr), std::nullopt);
  EXPECT_EQ(OmpWaitPolicyToSet("passive", nullptr, "1000"), std::nullopt);
}

TEST(OmpWaitPolicyTest, DescribesThePolicyInEffect) {
  EXPECT_EQ(DescribeOmpWaitPolicy("passive", nullptr), "passive");
  EXPECT_EQ(DescribeOmpWaitPolicy(nullptr, nullptr), "libgomp's default");
  EXPECT_EQ(DescribeOmpWaitPolicy("", nullptr), "libgomp's default");
  EXPECT_EQ(DescribeOmpWaitPolicy("active", "1000"),
            "active, GOMP_SPINCOUNT=1000");
  EXPECT_EQ(DescribeOmpWaitPolicy(nullptr, "0"),
            "libgomp's default, GOMP_SPINCOUNT=0");
}

}  // namespace
}  // namespace profundo::server
