// Optimizer::Step with a ParameterStore that keeps a bf16 mirror of its
// weights (mixed_bfloat16; every optimizer writes it range by range through
// Optimizer::UpdateRanges) must leave exactly the weights and slots of a
// store without a mirror, and a mirror equal to the bf16 rounding of the
// weights, step after step, at one and two threads. In a kKernelHalves step
// (engine/parallel.h) UpdateRanges gives the split kernels' second halves
// to a second thread: the same bits as one thread, with the mirror and
// without it (float32, where each thread updates the start of every range
// after a split half last, claiming its lines while it updates the rest).
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/optimizers/optimizer.h"
#include "engine/parameters.h"
#include "engine/rng.h"
#include "engine/spec_json.h"
#include "gtest/gtest.h"
#include "tests/unit/optimizers/optimizer_test_util.h"
#include "tests/unit/layers/layer_test_util.h"

namespace profundo {
namespace {

using ::profundo::testing::RefBf16Bits;

// A kernel large enough to be split over the threads (engine/parallel.h)
// and a bias with a max_norm constraint, both trainable.
void Build(ParameterStore& store, bool mirror) {
  store.Add("dense/kernel", {200, 250}, true);
  const int bias = store.Add("dense/bias", {250}, true);
  store.param(bias).constraint = MaxNorm{0.5, 0};
  if (mirror) store.RequestBfloat16Mirror();
  store.Allocate();
  Rng rng(7);
  for (float& w : store.trainable_values()) w = rng.Uniform() - 0.5f;
}

std::unique_ptr<Optimizer> Make(const std::string& json) {
  return testing_util::MakeFromJson(json);
}

void ExpectMirrorSameAsUnmirrored(const std::string& json, int threads) {
  SCOPED_TRACE(json + ", threads " + std::to_string(threads));
  omp_set_num_threads(threads);
  ParameterStore plain, mirrored;
  Build(plain, false);
  Build(mirrored, true);
  ASSERT_FALSE(plain.has_bfloat16_mirror());
  ASSERT_TRUE(mirrored.has_bfloat16_mirror());
  std::unique_ptr<Optimizer> a = Make(json), b = Make(json);
  Rng rng(11);
  for (int step = 1; step <= 6; ++step) {
    for (size_t i = 0; i < plain.grads().size(); ++i) {
      // Large enough for the bias to exceed max_norm now and then.
      plain.grads()[i] = mirrored.grads()[i] = 4.f * (rng.Uniform() - 0.5f);
    }
    a->Step(plain);
    b->Step(mirrored);
    EXPECT_TRUE(mirrored.bfloat16_mirror_current());
    const ParameterStore& m = mirrored;  // const access keeps it current
    testing_util::ExpectSameBits(plain.trainable_values(), *a,
                                 m.trainable_values(), *b, step);
    int64_t wrong = 0;
    const std::vector<float>& w = m.trainable_values();
    for (size_t i = 0; i < w.size(); ++i) {
      wrong += mirrored.bfloat16_values()[i] != RefBf16Bits(w[i]);
    }
    EXPECT_EQ(wrong, 0) << "mirror elements not bf16(w) at step " << step;
    EXPECT_TRUE(mirrored.bfloat16_mirror_current());
  }
  // Writing access to the values makes the mirror stale.
  mirrored.trainable_values()[0] += 1.f;
  EXPECT_FALSE(mirrored.bfloat16_mirror_current());
}

TEST(Bfloat16MirrorTest, EveryOptimizerWritesTheMirrorOfItsUpdate) {
  for (const std::string& json : testing_util::EveryOptimizerVariant()) {
    for (int threads : {1, 2}) ExpectMirrorSameAsUnmirrored(json, threads);
  }
}

// Kernels split at a row (Parameter::split_row, as Dense marks them), each
// followed by a bias. kTwoKernels: the first kernel's second half (50,000
// weights) is longer than the claimed start of a range (49,152), the
// ranges after it shorter. kOneKernel: the second thread's only range is
// shorter (all claimed, nothing else to update first).
enum class Split { kTwoKernels, kOneKernel };
void BuildSplit(ParameterStore& store, bool mirror, Split split) {
  if (split == Split::kOneKernel) {
    const int k = store.Add("dense/kernel", {256, 300}, true);
    store.Add("dense/bias", {300}, true);
    store.param(k).split_row = 128;
  } else {
    const int k0 = store.Add("dense/kernel", {400, 250}, true);
    store.Add("dense/bias", {250}, true);
    const int k1 = store.Add("dense_1/kernel", {250, 130}, true);
    store.Add("dense_1/bias", {130}, true);
    store.param(k0).split_row = 200;
    store.param(k1).split_row = 125;
  }
  if (mirror) store.RequestBfloat16Mirror();
  store.Allocate();
  Rng rng(5);
  for (float& w : store.trainable_values()) w = rng.Uniform() - 0.5f;
}

void ExpectHalvesSameAsOneThread(const std::string& json, bool mirror,
                                 Split split) {
  SCOPED_TRACE(json + (mirror ? ", mirror" : ", float32") +
               (split == Split::kOneKernel ? ", one kernel" : ""));
  omp_set_num_threads(2);
  ParameterStore one, halves;
  BuildSplit(one, mirror, split);
  BuildSplit(halves, mirror, split);
  std::unique_ptr<Optimizer> a = Make(json), b = Make(json);
  Rng rng(3);
  for (int step = 1; step <= 4; ++step) {
    for (size_t i = 0; i < one.grads().size(); ++i) {
      one.grads()[i] = halves.grads()[i] = rng.Uniform() - 0.5f;
    }
    {
      const ScopedStepTeam team(StepTeam::kOne, 2);
      a->Step(one);
    }
    {
      const ScopedStepTeam team(StepTeam::kKernelHalves, 2);
      ASSERT_TRUE(InKernelHalvesStep());
      ASSERT_EQ(omp_get_max_threads(), 1);
      b->Step(halves);
    }
    EXPECT_FALSE(InKernelHalvesStep());
    EXPECT_EQ(omp_get_max_threads(), 2);
    const ParameterStore& x = one;
    const ParameterStore& y = halves;
    testing_util::ExpectSameBits(x.trainable_values(), *a,
                                 y.trainable_values(), *b, step);
    if (!mirror) continue;
    int64_t wrong = 0;
    for (size_t i = 0; i < y.trainable_values().size(); ++i) {
      wrong += halves.bfloat16_values()[i] != RefBf16Bits(y.trainable_values()[i]);
    }
    EXPECT_EQ(wrong, 0) << "mirror elements not bf16(w) at step " << step;
  }
  omp_set_num_threads(1);
}

TEST(Bfloat16MirrorTest, KernelHalvesStepsUpdateLikeOneThread) {
  for (const char* json :
       {R"({"sgd": {"momentum": 0.9}})", R"({"adam": {}, "learning_rate": 0.01})",
        R"({"nadam": {}, "learning_rate": 0.01})"}) {
    for (bool mirror : {true, false}) {
      for (Split split : {Split::kTwoKernels, Split::kOneKernel}) {
        ExpectHalvesSameAsOneThread(json, mirror, split);
      }
    }
  }
}

TEST(Bfloat16MirrorTest, StaleUntilAStepAndAfterMarkValuesChanged) {
  ParameterStore store;
  Build(store, true);
  EXPECT_FALSE(store.bfloat16_mirror_current());
  std::unique_ptr<Optimizer> opt = Make(R"({"nadam": {}})");
  opt->Step(store);
  EXPECT_TRUE(store.bfloat16_mirror_current());
  store.MarkValuesChanged();
  EXPECT_FALSE(store.bfloat16_mirror_current());
}

}  // namespace
}  // namespace profundo
