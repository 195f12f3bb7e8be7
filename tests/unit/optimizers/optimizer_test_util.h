// Test helpers for the optimizer tests: a one-tensor ParameterStore driven
// through a fixed gradient sequence, and the sequence itself.
#ifndef PROFUNDO_TESTS_UNIT_OPTIMIZERS_OPTIMIZER_TEST_UTIL_H_
#define PROFUNDO_TESTS_UNIT_OPTIMIZERS_OPTIMIZER_TEST_UTIL_H_

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/optimizers/optimizer.h"
#include "engine/parameters.h"
#include "engine/spec_json.h"
#include "gtest/gtest.h"

namespace profundo {
namespace testing_util {

// The optimizer of a JSON spec ({"nadam": {}, "learning_rate": 0.01}).
inline std::unique_ptr<Optimizer> MakeFromJson(const std::string& json) {
  auto spec = ParseJson<v1::Optimizer>(json);
  EXPECT_TRUE(spec.ok()) << spec.status();
  auto opt = MakeOptimizer(*spec, "optimizer");
  EXPECT_TRUE(opt.ok()) << opt.status();
  return std::move(*opt);
}

inline bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

// Two optimizers' runs have the same bits: weights wa and wb, and slots.
inline void ExpectSameBits(const std::vector<float>& wa, Optimizer& a,
                           const std::vector<float>& wb, Optimizer& b,
                           int step) {
  EXPECT_TRUE(SameBits(wa, wb)) << "weights differ at step " << step;
  const auto slots_a = a.slots(), slots_b = b.slots();
  ASSERT_EQ(slots_a.size(), slots_b.size());
  for (size_t s = 0; s < slots_a.size(); ++s) {
    EXPECT_TRUE(SameBits(*slots_a[s].second, *slots_b[s].second))
        << "slot " << slots_a[s].first << " differs at step " << step;
  }
}

// Every optimizer kind and variant (momentum, nesterov, centered, amsgrad)
// as JSON specs.
inline std::vector<std::string> EveryOptimizerVariant() {
  return {R"({"sgd": {}})", R"({"sgd": {"momentum": 0.9}})",
          R"({"sgd": {"momentum": 0.9, "nesterov": true}})",
          R"({"adagrad": {}, "learning_rate": 0.01})",
          R"({"rmsprop": {}})",
          R"({"rmsprop": {"centered": true, "momentum": 0.5}})",
          R"({"adam": {}, "learning_rate": 0.01})",
          R"({"adam": {"amsgrad": true}, "learning_rate": 0.01})",
          R"({"adamax": {}, "learning_rate": 0.01})",
          R"({"nadam": {}, "learning_rate": 0.01})"};
}

// Three weights, three steps.
inline std::vector<double> InitialWeights() { return {1.0, -2.0, 0.5}; }
inline std::vector<std::vector<double>> Gradients() {
  return {{0.5, -1.0, 2.0}, {0.1, 0.3, -0.4}, {-0.2, 0.0, 1.5}};
}

// Runs one Step per gradient on a store holding one trainable [3] tensor
// initialized to InitialWeights(); returns the weights after each step.
inline std::vector<std::vector<float>> RunSteps(
    Optimizer& opt, const std::vector<std::vector<double>>& grads) {
  ParameterStore store;
  store.Add("dense/kernel", {3}, true);
  store.Allocate();
  const std::vector<double> w0 = InitialWeights();
  for (int i = 0; i < 3; ++i) store.trainable_values()[i] = float(w0[i]);
  std::vector<std::vector<float>> out;
  for (const std::vector<double>& g : grads) {
    for (int i = 0; i < 3; ++i) store.grads()[i] = float(g[i]);
    opt.Step(store);
    out.push_back(store.trainable_values());
  }
  return out;
}

// Every step's weights match the double-precision reference.
inline void ExpectWeightsNear(const std::vector<std::vector<float>>& got,
                              const std::vector<std::vector<double>>& want,
                              double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t s = 0; s < got.size(); ++s) {
    ASSERT_EQ(got[s].size(), want[s].size());
    for (size_t i = 0; i < got[s].size(); ++i) {
      EXPECT_NEAR(got[s][i], want[s][i], tol)
          << "step " << s + 1 << " weight " << i;
    }
  }
}

}  // namespace testing_util
}  // namespace profundo

#endif  // PROFUNDO_TESTS_UNIT_OPTIMIZERS_OPTIMIZER_TEST_UTIL_H_
