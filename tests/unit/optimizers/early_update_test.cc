// Optimizer early updates (optimizer.h): a step whose kernel is updated in
// blocks during the backward (BeginEarlyUpdates, UpdateEarly from blocks
// of gradient that are not store.grads(), UpdatedEarly) and completed by
// Step leaves the same bits, weights and slots, as one Step with the whole
// gradient in store.grads(): for every optimizer, blocks applied from one
// or two threads, whole-team and kKernelHalves steps, constraints
// included. Clipping and a bf16 mirror refuse early updates.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/optimizers/optimizer.h"
#include "engine/parallel.h"
#include "engine/parameters.h"
#include "engine/rng.h"
#include "engine/spec_json.h"
#include "gtest/gtest.h"
#include "tests/unit/optimizers/optimizer_test_util.h"

namespace profundo {
namespace {

constexpr int64_t kRows = 200, kUnits = 250;

// A kernel split at row 100 (as Dense marks the kernels it splits), a
// bias with a max_norm constraint and a second kernel. Returns the first
// kernel's id (the bias is id + 1).
int Build(ParameterStore& store) {
  const int kernel = store.Add("dense/kernel", {kRows, kUnits}, true);
  const int bias = store.Add("dense/bias", {kUnits}, true);
  store.Add("dense_1/kernel", {kUnits, 10}, true);
  store.param(kernel).split_row = kRows / 2;
  store.param(bias).constraint = MaxNorm{0.5, 0};
  store.Allocate();
  Rng rng(7);
  for (float& w : store.trainable_values()) w = rng.Uniform() - 0.5f;
  return kernel;
}

using testing_util::SameBits;
std::unique_ptr<Optimizer> Make(const std::string& json) {
  return testing_util::MakeFromJson(json);
}

// The kernel, and with `bias` the bias too (a parameter that is not
// split), updated early.
void ExpectEarlySameAsStep(const std::string& json, StepTeam mode,
                           bool two_threads, bool bias) {
  SCOPED_TRACE(json + (mode == StepTeam::kKernelHalves ? ", halves" : "") +
               (two_threads ? ", blocks on two threads" : "") +
               (bias ? ", bias early" : ""));
  omp_set_num_threads(2);
  ParameterStore whole, early;
  Build(whole);
  const int kernel = Build(early);
  const int64_t offset = early.param(kernel).offset;
  std::unique_ptr<Optimizer> a = Make(json), b = Make(json);
  Rng rng(11);
  std::vector<float> kernel_grad(kRows * kUnits), bias_grad(kUnits);
  for (int step = 1; step <= 4; ++step) {
    for (size_t i = 0; i < whole.grads().size(); ++i) {
      whole.grads()[i] = early.grads()[i] = 4.f * (rng.Uniform() - 0.5f);
    }
    // The kernel's gradient comes in blocks; store.grads() holds NaN there.
    std::memcpy(kernel_grad.data(), early.grad(kernel),
                sizeof(float) * kernel_grad.size());
    std::fill_n(early.grad(kernel), kernel_grad.size(),
                std::numeric_limits<float>::quiet_NaN());
    if (bias) {
      std::memcpy(bias_grad.data(), early.grad(kernel + 1),
                  sizeof(float) * kUnits);
      std::fill_n(early.grad(kernel + 1), kUnits,
                  std::numeric_limits<float>::quiet_NaN());
    }
    {
      const ScopedStepTeam team(mode, 2);
      a->Step(whole);
    }
    {
      const ScopedStepTeam team(mode, 2);
      ASSERT_TRUE(b->BeginEarlyUpdates(early));
      // Blocks of 4 rows, ascending within each half as the layers give
      // them; the halves from two threads at once or one after the other.
      auto half = [&](int t) {
        for (int64_t r = t * kRows / 2; r < (t + 1) * kRows / 2; r += 4) {
          b->UpdateEarly(offset + r * kUnits, kernel_grad.data() + r * kUnits,
                         4 * kUnits);
        }
      };
      if (two_threads) {
#pragma omp parallel num_threads(2)
        half(omp_get_thread_num());
      } else {
        half(0);
        half(1);
      }
      b->UpdatedEarly(kernel);
      if (bias) {
        b->UpdateEarly(early.param(kernel + 1).offset, bias_grad.data(),
                       kUnits);
        b->UpdatedEarly(kernel + 1);
      }
      b->Step(early);
    }
    EXPECT_EQ(a->iterations(), b->iterations());
    testing_util::ExpectSameBits(whole.trainable_values(), *a,
                                 early.trainable_values(), *b, step);
  }
  omp_set_num_threads(1);
}

TEST(EarlyUpdateTest, EveryOptimizerUpdatesAsOneStep) {
  std::vector<std::string> specs = testing_util::EveryOptimizerVariant();
  specs.push_back(R"({"nadam": {}, "learning_rate_schedule":
      {"exponential_decay": {"initial_learning_rate": 0.01,
                             "decay_steps": 1, "decay_rate": 0.5}}})");
  for (const std::string& json : specs) {
    for (StepTeam mode : {StepTeam::kWhole, StepTeam::kKernelHalves}) {
      for (bool two_threads : {false, true}) {
        for (bool bias : {false, true}) {
          ExpectEarlySameAsStep(json, mode, two_threads, bias);
        }
      }
    }
  }
}

TEST(EarlyUpdateTest, ClippingAndABf16MirrorRefuseThem) {
  for (const char* json : {R"({"adam": {}, "clipvalue": 1})",
                           R"({"adam": {}, "clipnorm": 1})",
                           R"({"adam": {}, "global_clipnorm": 1})"}) {
    SCOPED_TRACE(json);
    ParameterStore store;
    Build(store);
    EXPECT_FALSE(Make(json)->BeginEarlyUpdates(store));
  }
  ParameterStore mirrored;
  mirrored.Add("dense/kernel", {4, 4}, true);
  mirrored.RequestBfloat16Mirror();
  mirrored.Allocate();
  EXPECT_FALSE(Make(R"({"adam": {}})")->BeginEarlyUpdates(mirrored));
}

// A step begun with early updates and cancelled (Fit stopping after the
// backward) leaves no trace in the next Step: it updates everything.
TEST(EarlyUpdateTest, CancelledStepLeavesTheNextStepWhole) {
  ParameterStore whole, cancelled;
  Build(whole);
  const int kernel = Build(cancelled);
  std::unique_ptr<Optimizer> a = Make(R"({"nadam": {}})");
  std::unique_ptr<Optimizer> b = Make(R"({"nadam": {}})");
  for (size_t i = 0; i < whole.grads().size(); ++i) {
    whole.grads()[i] = cancelled.grads()[i] = 0.01f * static_cast<float>(i % 7);
  }
  ASSERT_TRUE(b->BeginEarlyUpdates(cancelled));
  b->UpdatedEarly(kernel);  // claimed, but the step is cancelled
  b->CancelEarlyUpdates();
  a->Step(whole);
  b->Step(cancelled);
  EXPECT_TRUE(SameBits(whole.trainable_values(), cancelled.trainable_values()));
}

}  // namespace
}  // namespace profundo
