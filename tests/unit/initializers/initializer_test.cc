// MakeInitializer and every initializer: statistics on a large kernel
// against SPEC.md's formulas, bounds, determinism and argument errors.
#include "engine/initializers/initializer.h"

#include <cmath>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "engine/initializers/variance_scaling.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace profundo {
namespace {

using ::testing::HasSubstr;

struct Moments {
  double mean = 0;
  double std = 0;
  double min = 0;
  double max = 0;
};

Moments ComputeMoments(const std::vector<float>& w) {
  Moments m;
  m.min = m.max = w[0];
  double sum = 0, sum2 = 0;
  for (float v : w) {
    sum += v;
    sum2 += static_cast<double>(v) * v;
    m.min = std::min<double>(m.min, v);
    m.max = std::max<double>(m.max, v);
  }
  const double n = static_cast<double>(w.size());
  m.mean = sum / n;
  m.std = std::sqrt(sum2 / n - m.mean * m.mean);
  return m;
}

std::unique_ptr<Initializer> Make(const std::string& name,
                                  const v1::InitializerArgs& args = {}) {
  auto init = MakeInitializer(name, args, "layers[1].dense.kernel_initializer");
  EXPECT_TRUE(init.ok()) << init.status();
  return init.ok() ? std::move(*init) : nullptr;
}

std::vector<float> Draw(const Initializer& init, const Shape& shape,
                        uint64_t seed = 7) {
  std::vector<float> w(NumElements(shape), -123.0f);
  Rng rng(seed);
  init.Fill(w.data(), shape, rng);
  return w;
}

const Shape kKernel = {1000, 500};  // fan_in 1000, fan_out 500, fan_avg 750

struct VarianceCase {
  std::string name;
  double variance;  // s = scale / n for kKernel
  bool uniform;
};

void PrintTo(const VarianceCase& c, std::ostream* os) { *os << c.name; }

class VarianceScalingPresetTest
    : public ::testing::TestWithParam<VarianceCase> {};

TEST_P(VarianceScalingPresetTest, MomentsAndBoundsFollowTheFormula) {
  const VarianceCase& c = GetParam();
  auto init = Make(c.name);
  ASSERT_NE(init, nullptr);
  const std::vector<float> w = Draw(*init, kKernel);
  const Moments m = ComputeMoments(w);
  const double target_std = std::sqrt(c.variance);
  EXPECT_NEAR(m.mean, 0.0, 0.01 * target_std);
  EXPECT_NEAR(m.std, target_std, 0.01 * target_std);
  if (c.uniform) {
    const double r = std::sqrt(3.0 * c.variance);
    EXPECT_GE(m.min, -r);
    EXPECT_LE(m.max, r);
    // 500k draws reach within 0.1% of both ends.
    EXPECT_LT(m.min, -0.999 * r);
    EXPECT_GT(m.max, 0.999 * r);
  } else {
    const double sd = target_std / kTruncatedNormalStdFactor;
    EXPECT_GE(m.min, -2.0 * sd * (1 + 1e-6));
    EXPECT_LE(m.max, 2.0 * sd * (1 + 1e-6));
    EXPECT_LT(m.min, -1.99 * sd);
    EXPECT_GT(m.max, 1.99 * sd);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Presets, VarianceScalingPresetTest,
    ::testing::Values(VarianceCase{"glorot_uniform", 1.0 / 750, true},
                      VarianceCase{"glorot_normal", 1.0 / 750, false},
                      VarianceCase{"he_uniform", 2.0 / 1000, true},
                      VarianceCase{"he_normal", 2.0 / 1000, false},
                      VarianceCase{"lecun_uniform", 1.0 / 1000, true},
                      VarianceCase{"lecun_normal", 1.0 / 1000, false},
                      VarianceCase{"HeNormal", 2.0 / 1000, false}),
    [](const auto& info) { return info.param.name; });

TEST(VarianceScalingTest, ExplicitArgumentsUseTheChosenFan) {
  v1::InitializerArgs args;
  args.set_scale(3.0);
  args.set_mode("fan_out");
  args.set_distribution("untruncated_normal");
  auto init = Make("variance_scaling", args);
  ASSERT_NE(init, nullptr);
  const std::vector<float> w = Draw(*init, kKernel);
  const Moments m = ComputeMoments(w);
  const double sd = std::sqrt(3.0 / 500);
  EXPECT_NEAR(m.mean, 0.0, 0.01 * sd);
  EXPECT_NEAR(m.std, sd, 0.01 * sd);
  // Untruncated: about 0.27% of 500k draws lie beyond 3 sd.
  int beyond = 0;
  for (float v : w) beyond += std::fabs(v) > 3 * sd;
  EXPECT_GT(beyond, 1000);
  EXPECT_LT(beyond, 1700);
}

TEST(VarianceScalingTest, DefaultsAreFanInTruncatedNormalScaleOne) {
  auto init = MakeInitializer("variance_scaling", {}, "k");
  ASSERT_TRUE(init.ok());
  const auto* vs = dynamic_cast<const VarianceScaling*>(init->get());
  ASSERT_NE(vs, nullptr);
  EXPECT_EQ(vs->scale(), 1.0);
  EXPECT_EQ(vs->mode(), FanMode::kFanIn);
  EXPECT_EQ(vs->distribution(), Distribution::kTruncatedNormal);
  EXPECT_DOUBLE_EQ(vs->Variance({200, 10}), 1.0 / 200);
}

TEST(VarianceScalingTest, FanAvgUniformHasTheRightRange) {
  v1::InitializerArgs args;
  args.set_scale(0.5);
  args.set_mode("fan_avg");
  args.set_distribution("uniform");
  auto init = Make("variance_scaling", args);
  ASSERT_NE(init, nullptr);
  const Moments m = ComputeMoments(Draw(*init, {300, 100}));
  const double r = std::sqrt(3.0 * 0.5 / 200);
  EXPECT_GE(m.min, -r);
  EXPECT_LE(m.max, r);
  EXPECT_LT(m.min, -0.99 * r);
  EXPECT_GT(m.max, 0.99 * r);
}

TEST(VarianceScalingTest, Fans) {
  Fans f = ComputeFans({784, 300});
  EXPECT_EQ(f.fan_in, 784);
  EXPECT_EQ(f.fan_out, 300);
  f = ComputeFans({10});
  EXPECT_EQ(f.fan_in, 10);
  EXPECT_EQ(f.fan_out, 10);
  f = ComputeFans({});
  EXPECT_EQ(f.fan_in, 1);
  EXPECT_EQ(f.fan_out, 1);
  f = ComputeFans({3, 3, 16, 32});  // conv kernel: receptive field 9
  EXPECT_EQ(f.fan_in, 144);
  EXPECT_EQ(f.fan_out, 288);
  // A zero fan counts as 1: s = scale.
  VarianceScaling vs(2.0, FanMode::kFanIn, Distribution::kUniform);
  EXPECT_DOUBLE_EQ(vs.Variance({0, 5}), 2.0);
}

TEST(RandomNormalTest, DefaultsAndExplicitArguments) {
  auto init = Make("random_normal");
  ASSERT_NE(init, nullptr);
  Moments m = ComputeMoments(Draw(*init, kKernel));
  EXPECT_NEAR(m.mean, 0.0, 0.0005);
  EXPECT_NEAR(m.std, 0.05, 0.0005);

  v1::InitializerArgs args;
  args.set_mean(1.5);
  args.set_stddev(1.0);  // the seed's N(0, 1), shifted
  init = Make("random_normal", args);
  ASSERT_NE(init, nullptr);
  const std::vector<float> w = Draw(*init, kKernel);
  m = ComputeMoments(w);
  EXPECT_NEAR(m.mean, 1.5, 0.01);
  EXPECT_NEAR(m.std, 1.0, 0.01);
  // Not truncated: values beyond 4 sd exist among 500k draws (p ~ 3e-5).
  EXPECT_GT(std::max(m.max - 1.5, 1.5 - m.min), 4.0);
}

TEST(RandomUniformTest, DefaultsAndExplicitArguments) {
  auto init = Make("random_uniform");
  ASSERT_NE(init, nullptr);
  Moments m = ComputeMoments(Draw(*init, kKernel));
  EXPECT_GE(m.min, -0.05f);
  EXPECT_LE(m.max, 0.05f);
  EXPECT_LT(m.min, -0.0499);
  EXPECT_GT(m.max, 0.0499);
  EXPECT_NEAR(m.mean, 0.0, 0.0005);
  EXPECT_NEAR(m.std, 0.1 / std::sqrt(12.0), 0.0005);

  v1::InitializerArgs args;
  args.set_minval(2.0);
  args.set_maxval(5.0);
  init = Make("random_uniform", args);
  ASSERT_NE(init, nullptr);
  m = ComputeMoments(Draw(*init, kKernel));
  EXPECT_GE(m.min, 2.0);
  EXPECT_LE(m.max, 5.0);
  EXPECT_NEAR(m.mean, 3.5, 0.01);
  EXPECT_NEAR(m.std, 3.0 / std::sqrt(12.0), 0.01);
}

TEST(ConstantTest, ZerosOnesConstant) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, float>>{{"zeros", 0.0f},
                                                  {"ones", 1.0f},
                                                  {"Zeros", 0.0f},
                                                  {"constant", 0.0f}}) {
    auto init = Make(name);
    ASSERT_NE(init, nullptr);
    for (float v : Draw(*init, {3, 4})) EXPECT_EQ(v, value) << name;
  }
  v1::InitializerArgs args;
  args.set_value(-0.25);
  auto init = Make("constant", args);
  ASSERT_NE(init, nullptr);
  Rng rng(1);
  const Rng::State before = rng.state();
  std::vector<float> w(5, 9.0f);
  init->Fill(w.data(), {5}, rng);
  EXPECT_EQ(w, std::vector<float>(5, -0.25f));
  EXPECT_EQ(rng.state(), before);  // draws nothing
}

TEST(InitializerTest, SameSeedSameValuesOtherSeedOtherValues) {
  for (const char* name :
       {"glorot_uniform", "he_normal", "random_normal", "random_uniform"}) {
    auto init = Make(name);
    ASSERT_NE(init, nullptr);
    const std::vector<float> a = Draw(*init, {50, 20}, 11);
    const std::vector<float> b = Draw(*init, {50, 20}, 11);
    const std::vector<float> c = Draw(*init, {50, 20}, 12);
    EXPECT_EQ(a, b) << name;
    EXPECT_NE(a, c) << name;
  }
}

TEST(InitializerTest, FillsExactlyTheShapesElements) {
  auto init = Make("glorot_uniform");
  ASSERT_NE(init, nullptr);
  std::vector<float> w(13, 77.0f);
  Rng rng(3);
  init->Fill(w.data(), {3, 4}, rng);
  EXPECT_NE(w[11], 77.0f);
  EXPECT_EQ(w[12], 77.0f);
}

struct ErrorCase {
  std::string name;
  v1::InitializerArgs args;
  std::string expected;
};

v1::InitializerArgs Args(const std::string& text_mode,
                         const std::string& distribution, double scale = 1) {
  v1::InitializerArgs a;
  if (!text_mode.empty()) a.set_mode(text_mode);
  if (!distribution.empty()) a.set_distribution(distribution);
  a.set_scale(scale);
  return a;
}

TEST(InitializerTest, ErrorsNameTheFieldPath) {
  v1::InitializerArgs negative_stddev;
  negative_stddev.set_stddev(-1);
  v1::InitializerArgs inverted;
  inverted.set_minval(1);
  inverted.set_maxval(0);
  v1::InitializerArgs nan_value;
  nan_value.set_value(std::nan(""));
  v1::InitializerArgs scale_for_glorot;
  scale_for_glorot.set_scale(2);
  v1::InitializerArgs mean_for_uniform;
  mean_for_uniform.set_mean(0);
  const std::vector<ErrorCase> cases = {
      {"variance_scaling", Args("fan_sum", ""),
       "layers[1].dense.kernel_initializer_args.mode must be one of fan_in, "
       "fan_out, fan_avg, got 'fan_sum'"},
      {"variance_scaling", Args("", "gaussian"),
       "layers[1].dense.kernel_initializer_args.distribution must be one of "
       "truncated_normal, untruncated_normal, uniform"},
      {"variance_scaling", Args("", "", 0.0),
       "layers[1].dense.kernel_initializer_args.scale must be > 0"},
      {"variance_scaling", Args("", "", -2.0),
       "layers[1].dense.kernel_initializer_args.scale must be > 0"},
      {"variance_scaling", Args("", "", INFINITY),
       "layers[1].dense.kernel_initializer_args.scale must be finite"},
      {"random_normal", negative_stddev,
       "layers[1].dense.kernel_initializer_args.stddev must be >= 0"},
      {"random_uniform", inverted,
       "layers[1].dense.kernel_initializer_args.minval (1) must be <= "
       "layers[1].dense.kernel_initializer_args.maxval (0)"},
      {"constant", nan_value,
       "layers[1].dense.kernel_initializer_args.value must be finite"},
      {"glorot_uniform", scale_for_glorot,
       "layers[1].dense.kernel_initializer_args.scale is not an argument of "
       "glorot_uniform (it takes none)"},
      {"random_uniform", mean_for_uniform,
       "layers[1].dense.kernel_initializer_args.mean is not an argument of "
       "random_uniform (it takes minval, maxval)"},
      {"xavier",
       {},
       "layers[1].dense.kernel_initializer 'xavier' is not a known "
       "initializer; expected one of glorot_uniform, glorot_normal, "
       "he_uniform, he_normal, lecun_uniform, lecun_normal, "
       "variance_scaling, random_normal, random_uniform, zeros, ones, "
       "constant"},
      {"", {}, "layers[1].dense.kernel_initializer '' is not a known"},
  };
  for (const ErrorCase& c : cases) {
    auto init =
        MakeInitializer(c.name, c.args, "layers[1].dense.kernel_initializer");
    ASSERT_FALSE(init.ok()) << c.name;
    EXPECT_EQ(init.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(init.status().message()), HasSubstr(c.expected));
  }
}

}  // namespace
}  // namespace profundo
