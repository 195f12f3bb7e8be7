// Regularizer: penalty and gradient by hand and against finite differences;
// MakeRegularizer's validation.
#include "engine/regularizers/regularizer.h"

#include <cmath>
#include <string>
#include <vector>

#include "engine/rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;

TEST(RegularizerTest, PenaltyByHand) {
  const std::vector<float> w = {1.0f, -2.0f, 0.0f, 0.5f};
  // l1: 0.1 * 3.5; l2: 0.01 * 5.25 (no 1/2 factor).
  EXPECT_NEAR((Regularizer{0.1, 0.0}).Penalty(w.data(), 4), 0.35, 1e-12);
  EXPECT_NEAR((Regularizer{0.0, 0.01}).Penalty(w.data(), 4), 0.0525, 1e-12);
  EXPECT_NEAR((Regularizer{0.1, 0.01}).Penalty(w.data(), 4), 0.4025, 1e-12);
  EXPECT_EQ((Regularizer{}).Penalty(w.data(), 4), 0.0);
  EXPECT_FALSE((Regularizer{}).active());
  EXPECT_TRUE((Regularizer{0.0, 0.01}).active());
  EXPECT_TRUE((Regularizer{0.01, 0.0}).active());
}

TEST(RegularizerTest, GradientByHandAddsToTheExistingGradient) {
  const std::vector<float> w = {1.0f, -2.0f, 0.0f, 0.5f};
  std::vector<float> grad(4, 1.0f);
  (Regularizer{0.1, 0.01}).AddGradient(w.data(), grad.data(), 4);
  // 1 + 0.1 sign(w) + 0.02 w; the l1 term is 0 at w = 0.
  EXPECT_NEAR(grad[0], 1.12f, 1e-6);
  EXPECT_NEAR(grad[1], 0.86f, 1e-6);
  EXPECT_NEAR(grad[2], 1.0f, 1e-6);
  EXPECT_NEAR(grad[3], 1.11f, 1e-6);
}

TEST(RegularizerTest, GradientMatchesFiniteDifferences) {
  Rng rng(3);
  std::vector<float> w(20);
  for (float& v : w) {
    // Away from the kink of |w| at 0.
    v = static_cast<float>((rng.Uniform() < 0.5 ? -1 : 1) *
                           (0.1 + rng.UniformDouble()));
  }
  const Regularizer r{0.03, 0.2};
  std::vector<float> grad(w.size(), 0.0f);
  r.AddGradient(w.data(), grad.data(), static_cast<int64_t>(w.size()));
  for (size_t i = 0; i < w.size(); ++i) {
    std::vector<float> hi = w, lo = w;
    hi[i] += 1e-3f;
    lo[i] -= 1e-3f;
    const double numeric =
        (r.Penalty(hi.data(), 20) - r.Penalty(lo.data(), 20)) /
        (static_cast<double>(hi[i]) - lo[i]);
    EXPECT_NEAR(grad[i], numeric, 1e-5) << i;
  }
}

TEST(MakeRegularizerTest, CopiesFactorsAndRejectsBadOnes) {
  v1::Regularizer spec;
  spec.set_l1(0.001);
  spec.set_l2(0.01);
  auto r = MakeRegularizer(spec, "layers[1].dense.kernel_regularizer");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->l1, 0.001);
  EXPECT_EQ(r->l2, 0.01);

  spec.set_l2(-0.5);
  r = MakeRegularizer(spec, "layers[1].dense.kernel_regularizer");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("layers[1].dense.kernel_regularizer.l2 must be finite "
                        "and >= 0, got -0.5"));
  spec.set_l2(0);
  spec.set_l1(NAN);
  r = MakeRegularizer(spec, "b");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("b.l1 must be finite and >= 0"));
}

}  // namespace
}  // namespace profundo
