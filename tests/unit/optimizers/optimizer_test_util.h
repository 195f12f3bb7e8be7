// Test helpers for the optimizer tests: a one-tensor ParameterStore driven
// through a fixed gradient sequence, and the sequence itself.
#ifndef PROFUNDO_TESTS_UNIT_OPTIMIZERS_OPTIMIZER_TEST_UTIL_H_
#define PROFUNDO_TESTS_UNIT_OPTIMIZERS_OPTIMIZER_TEST_UTIL_H_

#include <vector>

#include "engine/optimizers/optimizer.h"
#include "engine/parameters.h"
#include "gtest/gtest.h"

namespace profundo {
namespace testing_util {

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
