// Per-layer health and its diagnosis on the seed's deep-network pathologies.
#include "engine/health/layer_health.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "engine/health/diagnosis.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/unit/model/test_models.h"

namespace profundo {
namespace {

// depth hidden Dense layers of `width` units on `width` inputs, softmax 10.
std::string Stack(int depth, const std::string& activation,
                  const std::string& init, const std::string& extra,
                  const std::string& tail = "", int width = 16) {
  std::string layers =
      absl::StrCat(R"({"flatten": {"input_shape": [)", width, "]}}");
  for (int i = 0; i < depth; ++i) {
    absl::StrAppend(&layers, R"(, {"dense": {"units": )", width,
                    R"(, "activation": ")", activation,
                    R"(", "kernel_initializer": ")", init, "\"", extra, "}}");
  }
  absl::StrAppend(&layers,
                  R"(, {"dense": {"units": 10, "activation": "softmax"}})");
  return absl::StrCat(R"({"layers": [)", layers,
                      R"(], "optimizer": {"sgd": {}, "learning_rate": 1e-3})",
                      tail, "}");
}

// Trains one epoch with a report at every step; returns the first report.
HealthReport FirstReport(const std::string& json, const Dataset& d,
                         int batch_size = 64) {
  auto model = Model::Create(SpecFromJson(json), 1);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return {};
  std::vector<HealthReport> reports;
  FitOptions opts;
  opts.batch_size = batch_size;
  opts.health_every = 1;
  opts.on_health = [&](const HealthReport& r) { reports.push_back(r); };
  auto h = (*model)->Fit(d, std::move(opts));
  EXPECT_TRUE(h.ok()) << h.status();
  const int64_t steps = (d.size() + batch_size - 1) / batch_size;
  EXPECT_EQ(static_cast<int64_t>(reports.size()), steps);
  return reports.empty() ? HealthReport() : reports.front();
}

bool Has(const std::vector<HealthWarning>& ws, HealthIssue issue) {
  for (const auto& w : ws) {
    if (w.issue == issue) {
      std::printf("%s: %s\n", HealthIssueName(issue), w.message.c_str());
      return true;
    }
  }
  return false;
}

TEST(LayerHealthTest, ReportsEveryLayerAndUpdateRatio) {
  Dataset d = Blobs(128, 16, 10, 3);
  HealthReport r = FirstReport(Stack(2, "relu", "he_normal", ""), d);
  ASSERT_EQ(r.layers.size(), 4u);  // Flatten, 2 hidden, head
  EXPECT_EQ(r.step, 0);
  EXPECT_TRUE(std::isfinite(r.loss));
  EXPECT_DOUBLE_EQ(r.learning_rate, 1e-3);
  EXPECT_FALSE(r.layers[0].has_kernel);
  EXPECT_EQ(r.layers[0].type, "Flatten");
  for (int i = 1; i <= 3; ++i) {
    const LayerHealth& h = r.layers[i];
    EXPECT_TRUE(h.has_kernel) << i;
    EXPECT_GT(h.grad_norm, 0) << i;
    EXPECT_GT(h.weight_norm, 0) << i;
    // Plain SGD: ||dw|| = lr ||g||.
    EXPECT_NEAR(h.update_ratio * h.weight_norm, 1e-3 * h.grad_norm,
                1e-3 * h.grad_norm * 1e-3)
        << i;
  }
  EXPECT_EQ(r.layers[1].activation, ActivationKind::kRelu);
  EXPECT_TRUE(r.layers[1].dead_fraction.has_value());
  EXPECT_FALSE(r.layers[1].saturated_fraction.has_value());
  // The softmax head is fused with the loss: its output is the logits.
  EXPECT_EQ(r.layers[3].activation, ActivationKind::kLinear);
  EXPECT_TRUE(Diagnose(r).empty());
}

TEST(LayerHealthTest, HealthEveryNStepsReportsOnlyThoseSteps) {
  Dataset d = Blobs(320, 16, 10, 3);
  auto model = Model::Create(SpecFromJson(Stack(2, "elu", "he_normal", "")), 1);
  ASSERT_TRUE(model.ok());
  std::vector<int64_t> steps;
  FitOptions opts;
  opts.epochs = 2;
  opts.batch_size = 32;  // 10 steps per epoch
  opts.health_every = 4;
  opts.on_health = [&](const HealthReport& r) { steps.push_back(r.step); };
  ASSERT_TRUE((*model)->Fit(d, std::move(opts)).ok());
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 4, 8, 12, 16}));
}

TEST(DiagnosisTest, SigmoidUnitNormalWarnsAboutVanishingGradients) {
  Dataset d = Blobs(256, 16, 10, 3);
  HealthReport r = FirstReport(
      Stack(20, "sigmoid", "random_normal",
            R"(, "kernel_initializer_args": {"mean": 0, "stddev": 1})"),
      d);
  ASSERT_EQ(r.layers.size(), 22u);
  std::printf("sigmoid N(0,1): first %.3g last %.3g\n", r.layers[1].grad_norm,
              r.layers[20].grad_norm);
  EXPECT_TRUE(Has(Diagnose(r), HealthIssue::kVanishingGradients));
  ASSERT_TRUE(r.layers[1].saturated_fraction.has_value());
}

TEST(DiagnosisTest, EluHeNormalDoesNotWarn) {
  Dataset d = Blobs(256, 16, 10, 3);
  HealthReport r = FirstReport(Stack(20, "elu", "he_normal", ""), d);
  std::printf("elu he_normal: first %.3g last %.3g\n", r.layers[1].grad_norm,
              r.layers[20].grad_norm);
  const auto ws = Diagnose(r);
  EXPECT_FALSE(Has(ws, HealthIssue::kVanishingGradients));
  EXPECT_FALSE(Has(ws, HealthIssue::kExplodingGradients));
}

TEST(DiagnosisTest, ReluWithLargeNegativeBiasHasDeadUnits) {
  Dataset d = Blobs(256, 16, 10, 3);
  HealthReport r = FirstReport(
      Stack(
          3, "relu", "he_normal",
          R"(, "bias_initializer": "constant", "bias_initializer_args": {"value": -10})"),
      d);
  ASSERT_TRUE(r.layers[1].dead_fraction.has_value());
  EXPECT_DOUBLE_EQ(*r.layers[1].dead_fraction, 1.0);
  EXPECT_TRUE(Has(Diagnose(r), HealthIssue::kDeadRelu));

  HealthReport ok = FirstReport(Stack(3, "relu", "he_normal", ""), d);
  EXPECT_LT(*ok.layers[1].dead_fraction, 0.5);
  EXPECT_FALSE(Has(Diagnose(ok), HealthIssue::kDeadRelu));
}

// Features uniform in [0, 255], like raw pixels.
Dataset RawPixels(int64_t n, int64_t features, uint64_t seed) {
  Rng rng(seed);
  Dataset d{Tensor({n, features}), Tensor({n})};
  for (int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng.Below(10));
    d.y.data()[i] = static_cast<float>(c);
    for (int64_t j = 0; j < features; ++j) {
      const double u = rng.UniformDouble();
      d.x.at(i, j) =
          static_cast<float>(j == c ? 255 * (0.5 + 0.5 * u) : 255 * u);
    }
  }
  return d;
}

TEST(DiagnosisTest, SeluSelfNormalizesOnlyOnStandardizedInputs) {
  Dataset d = RawPixels(512, 32, 7);
  const std::string standardized =
      Stack(10, "selu", "lecun_normal", "",
            R"(, "preprocessing": {"standardize": true})", 32);
  HealthReport good = FirstReport(standardized, d, 256);
  for (const LayerHealth& h : good.layers) {
    if (h.activation != ActivationKind::kSelu) continue;
    std::printf("standardized %s: mean %.3f std %.3f\n", h.name.c_str(),
                h.act_mean, h.act_std);
  }
  EXPECT_FALSE(Has(Diagnose(good), HealthIssue::kBrokenSelfNormalization));

  HealthReport raw =
      FirstReport(Stack(10, "selu", "lecun_normal", "", "", 32), d, 256);
  std::printf("raw %s: mean %.3f std %.3f\n", raw.layers[1].name.c_str(),
              raw.layers[1].act_mean, raw.layers[1].act_std);
  EXPECT_TRUE(Has(Diagnose(raw), HealthIssue::kBrokenSelfNormalization));
}

TEST(DiagnosisTest, ExplodingGradientNormWarns) {
  HealthReport r;
  LayerHealth a, b;
  a.name = "dense";
  a.has_kernel = true;
  a.grad_norm = 5e4;
  b.name = "dense_1";
  b.has_kernel = true;
  b.grad_norm = 10;
  r.layers = {a, b};
  EXPECT_TRUE(Has(Diagnose(r), HealthIssue::kExplodingGradients));
}

TEST(FitTest, NonFiniteLossFailsTheFitNamingTheStep) {
  Dataset d = Blobs(256, 16, 10, 3);
  auto model = Model::Create(
      SpecFromJson(R"({"layers": [{"flatten": {"input_shape": [16]}},
        {"dense": {"units": 32, "activation": "relu"}},
        {"dense": {"units": 32, "activation": "relu"}},
        {"dense": {"units": 10, "activation": "softmax"}}],
        "optimizer": {"sgd": {}, "learning_rate": 1e30}})"),
      1);
  ASSERT_TRUE(model.ok()) << model.status();
  int checkpoints = 0;
  FitOptions opts;
  opts.epochs = 3;
  opts.on_checkpoint = [&](const std::string&) { ++checkpoints; };
  auto h = (*model)->Fit(d, std::move(opts));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(h.status().message().find("epoch 1, step"), std::string::npos)
      << h.status();
  EXPECT_EQ(checkpoints, 0);
}

}  // namespace
}  // namespace profundo
