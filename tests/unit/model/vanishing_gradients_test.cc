// The seed's vanishing-gradient story as property tests.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/unit/model/test_models.h"

namespace profundo {
namespace {

// Per hidden layer, backprop multiplies the gradient norm by about
// sqrt(width) * sd(w) * E[f'(z)^2]^(1/2). With sigmoid and N(0, 1) weights on
// a 16-wide stack that is ~0.6: the norm collapses geometrically toward the
// input. (At width 100 the sqrt(width) factor cancels the saturation and
// the norm stays flat, though the units are saturated.)
std::string DeepStack(int depth, const std::string& activation,
                      const std::string& init, const std::string& args,
                      int width = 16) {
  std::string layers = absl::StrCat(R"({"flatten": {"input_shape": [)", width, "]}}");
  for (int i = 0; i < depth; ++i) {
    absl::StrAppend(&layers, R"(, {"dense": {"units": )", width, R"(, "activation": ")",
                    activation, R"(", "kernel_initializer": ")", init, "\"",
                    args, "}}");
  }
  absl::StrAppend(&layers, R"(, {"dense": {"units": 10, "activation": "softmax"}})");
  return absl::StrCat(R"({"layers": [)", layers, R"(], "optimizer": {"sgd": {}, "learning_rate": 1e-9}})");
}

double KernelGradNorm(Model& m, int layer) {
  // Parameter names are "<layer>/kernel".
  const std::string name = m.layers()[layer]->name() + "/kernel";
  for (size_t id = 0; id < m.parameters().params().size(); ++id) {
    const Parameter& p = m.parameters().param(static_cast<int>(id));
    if (p.name != name) continue;
    const float* g = m.parameters().grad(static_cast<int>(id));
    double s = 0;
    for (int64_t i = 0; i < p.size; ++i) s += static_cast<double>(g[i]) * g[i];
    return std::sqrt(s);
  }
  ADD_FAILURE() << "no parameter " << name;
  return 0;
}

TEST(VanishingGradientsTest, SigmoidWithUnitNormalWeightsVanishesTowardInput) {
  const int depth = 20;
  auto model = Model::Create(
      SpecFromJson(DeepStack(depth, "sigmoid", "random_normal",
                             R"(, "kernel_initializer_args": {"mean": 0, "stddev": 1})")),
      1);
  ASSERT_TRUE(model.ok()) << model.status();
  Dataset d = Blobs(256, 16, 10, 3);
  FitOptions opts;
  opts.batch_size = 256;  // one step: the gradients of that step stay in the store
  ASSERT_TRUE((*model)->Fit(d, std::move(opts)).ok());
  const double first = KernelGradNorm(**model, 1);
  const double last = KernelGradNorm(**model, depth);
  std::printf("sigmoid N(0,1): first hidden grad norm %.3g, last %.3g\n", first, last);
  EXPECT_LT(first, last * 1e-3);
}

TEST(VanishingGradientsTest, EluHeNormalKeepsGradientsAlive) {
  const int depth = 20;
  auto model = Model::Create(SpecFromJson(DeepStack(depth, "elu", "he_normal", "")), 1);
  ASSERT_TRUE(model.ok()) << model.status();
  Dataset d = Blobs(256, 16, 10, 3);
  FitOptions opts;
  opts.batch_size = 256;
  ASSERT_TRUE((*model)->Fit(d, std::move(opts)).ok());
  const double first = KernelGradNorm(**model, 1);
  const double last = KernelGradNorm(**model, depth);
  std::printf("elu he_normal: first hidden grad norm %.3g, last %.3g\n", first, last);
  EXPECT_GT(first, last * 0.05);
}

TEST(VanishingGradientsTest, SeluLecunNormalSelfNormalizes) {
  const int depth = 30;
  auto model = Model::Create(
      SpecFromJson(DeepStack(depth, "selu", "lecun_normal", "", 100)), 2);
  ASSERT_TRUE(model.ok()) << model.status();
  // Standardized inputs: N(0, 1) features.
  Rng rng(5);
  Tensor x({1000, 100});
  for (float& v : x.values()) v = static_cast<float>(rng.Normal());
  DnnlContext dnnl;
  Context ctx{dnnl, (*model)->parameters(), (*model)->rng()};
  Tensor a = x, b;
  for (int i = 0; i <= depth; ++i) {
    (*model)->layers()[i]->Forward(a, &b, Mode::kInference, ctx);
    std::swap(a, b);
    if (i == 0) continue;  // Flatten
    double s = 0, s2 = 0;
    for (float v : a.values()) {
      s += v;
      s2 += static_cast<double>(v) * v;
    }
    const double mean = s / a.size();
    const double sd = std::sqrt(s2 / a.size() - mean * mean);
    EXPECT_NEAR(mean, 0.0, 0.2) << "layer " << i;
    EXPECT_NEAR(sd, 1.0, 0.25) << "layer " << i;
  }
}

}  // namespace
}  // namespace profundo
