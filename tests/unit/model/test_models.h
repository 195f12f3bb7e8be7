// Shared helpers for model tests: the seed BN spec, specs from JSON and
// small synthetic data.
#ifndef PROFUNDO_TESTS_UNIT_MODEL_TEST_MODELS_H_
#define PROFUNDO_TESTS_UNIT_MODEL_TEST_MODELS_H_

#include <cmath>
#include <string>

#include "engine/datasets/dataset.h"
#include "engine/rng.h"
#include "engine/spec_json.h"
#include "gtest/gtest.h"
#include "profundo/v1/model.pb.h"

namespace profundo {

// The seed's batch-normalized model (784-BN-300-BN-100-BN-10, ELU,
// he_normal) with SGD momentum.
inline constexpr char kSeedBn[] = R"({
  "layers": [
    {"flatten": {"input_shape": [28, 28]}},
    {"batch_normalization": {}},
    {"dense": {"units": 300, "activation": "elu", "kernel_initializer": "he_normal"}},
    {"batch_normalization": {}},
    {"dense": {"units": 100, "activation": "elu", "kernel_initializer": "he_normal"}},
    {"batch_normalization": {}},
    {"dense": {"units": 10, "activation": "softmax"}}],
  "loss": "sparse_categorical_crossentropy",
  "optimizer": {"sgd": {"momentum": 0.9}},
  "metrics": ["accuracy"]})";

inline v1::ModelSpec SpecFromJson(const std::string& json) {
  auto spec = ParseJson<v1::ModelSpec>(json);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : v1::ModelSpec();
}

// n samples of `features` Gaussian features in `classes` well-separated
// clusters (class c centred at +3 on feature c % features).
inline Dataset Blobs(int64_t n, int64_t features, int classes, uint64_t seed) {
  Rng rng(seed);
  Dataset d{Tensor({n, features}), Tensor({n})};
  for (int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng.Below(classes));
    d.y.data()[i] = static_cast<float>(c);
    for (int64_t j = 0; j < features; ++j) {
      d.x.at(i, j) = static_cast<float>(rng.Normal() + (j == c % features ? 3.0 : 0.0));
    }
  }
  return d;
}

}  // namespace profundo

#endif  // PROFUNDO_TESTS_UNIT_MODEL_TEST_MODELS_H_
