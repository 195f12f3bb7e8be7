// The seed BN model trained along the engine's different execution paths:
// one or two threads, each StepTeam mode (engine/parallel.h), the float32
// and mixed_bfloat16 policies, and the input BatchNormalization's
// column-sums shortcut against the full backward. Same bits where the
// engine promises them, close where the arithmetic differs.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/mixed_precision/policy.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/unit/model/test_models.h"

namespace profundo {
namespace {

// The seed's BN model on 256 samples of blob data (784 features), 2 epochs
// with Nadam at batch 32; returns the final weights and the epoch losses,
// and into `moving`, if not null, the batch norms' moving statistics.
std::pair<std::vector<float>, std::vector<double>> TrainSeedBn(
    const std::string& policy_field, std::string json = kSeedBn,
    std::optional<StepTeam> step_team = std::nullopt,
    std::vector<float>* moving = nullptr, int batch_size = 32,
    std::vector<double>* val_losses = nullptr) {
  json.insert(json.rfind('}'), policy_field);
  auto model = Model::Create(SpecFromJson(json), 3);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return {};
  FitOptions opts;
  opts.epochs = 2;
  opts.batch_size = batch_size;
  opts.step_team = step_team;
  if (val_losses != nullptr) opts.validation_split = 0.25;
  auto h = (*model)->Fit(Blobs(256, 784, 10, 4), std::move(opts));
  EXPECT_TRUE(h.ok()) << h.status();
  if (!h.ok()) return {};
  std::vector<double> losses;
  for (const EpochLogs& e : h->epochs) {
    losses.push_back(e.loss);
    if (val_losses != nullptr) val_losses->push_back(e.val_loss.value_or(-1));
  }
  if (moving != nullptr) {
    *moving = (*model)->parameters().non_trainable_values();
  }
  return {(*model)->parameters().trainable_values(), losses};
}

// The spec's dtype_policy fields to test: float32 (the default) and, where
// the CPU has a bf16 inner product, mixed_bfloat16.
std::vector<std::string> PolicyFields() {
  std::vector<std::string> policies = {""};
  if (CheckDtypePolicySupported(DtypePolicy::kMixedBfloat16, "p").ok()) {
    policies.push_back(R"(, "dtype_policy": "mixed_bfloat16")");
  }
  return policies;
}

TEST(ModelTest, Float32PolicyIsTheDefault) {
  omp_set_num_threads(1);
  const auto [w_default, loss_default] = TrainSeedBn("");
  const auto [w_f32, loss_f32] = TrainSeedBn(R"(, "dtype_policy": "float32")");
  EXPECT_EQ(w_default, w_f32);
  EXPECT_EQ(loss_default, loss_f32);
}

// Fit's steps may run on one thread or the whole team (TeamSizeTuner): the
// results must not depend on it. Two threads split the 784x300 layer's
// inner products and the optimizer's loops.
TEST(ModelTest, OneAndTwoThreadsTrainTheSameBits) {
  for (const std::string& policy : PolicyFields()) {
    SCOPED_TRACE(policy);
    omp_set_num_threads(1);
    const auto [w_one, loss_one] = TrainSeedBn(policy);
    omp_set_num_threads(2);
    const auto [w_two, loss_two] = TrainSeedBn(policy);
    omp_set_num_threads(1);
    ASSERT_FALSE(w_one.empty());
    EXPECT_TRUE(w_one == w_two);
    EXPECT_EQ(loss_one, loss_two);
  }
}

// The same on two threads in each StepTeam mode: kKernelHalves runs the
// 784x300 layer's halves (SplitInnerProduct), their column sums, their
// optimizer rows, and the gather and input batch norm of the columns each
// half reads, on two threads and the rest of each step on one. The moving
// statistics too.
TEST(ModelTest, EveryStepTeamModeTrainsTheSameBits) {
  for (const std::string& policy : PolicyFields()) {
    SCOPED_TRACE(policy);
    omp_set_num_threads(2);
    std::vector<float> m_whole, m_halves, m_one;
    const auto [w_whole, loss_whole] =
        TrainSeedBn(policy, kSeedBn, StepTeam::kWhole, &m_whole);
    const auto [w_halves, loss_halves] =
        TrainSeedBn(policy, kSeedBn, StepTeam::kKernelHalves, &m_halves);
    const auto [w_one, loss_one] =
        TrainSeedBn(policy, kSeedBn, StepTeam::kOne, &m_one);
    omp_set_num_threads(1);
    ASSERT_FALSE(w_whole.empty());
    EXPECT_TRUE(w_halves == w_whole);
    EXPECT_TRUE(w_one == w_whole);
    EXPECT_EQ(loss_halves, loss_whole);
    EXPECT_EQ(loss_one, loss_whole);
    ASSERT_EQ(m_whole.size(), 2u * (784 + 300 + 100));
    EXPECT_TRUE(m_halves == m_whole);
    EXPECT_TRUE(m_one == m_whole);
  }
}

// On a team of two Fit runs a step on a PairRegion (engine/pair_region.h)
// where no layer leaves more than kPairRegionMaxDnnlMacs to oneDNN's team:
// the seed BN model up to batch 128 (its 300x100 layer's oneDNN products
// then on one thread: 1.9M multiply-adds at 64 rows, 3.8M at 128), not at
// 256 (7.7M).
TEST(ModelTest, StepsOfSmallBatchesFitAPairRegion) {
  auto model = Model::Create(SpecFromJson(kSeedBn), 3);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE((*model)->StepFitsPairRegion(32));
  EXPECT_TRUE((*model)->StepFitsPairRegion(64));
  EXPECT_TRUE((*model)->StepFitsPairRegion(128));
  EXPECT_FALSE((*model)->StepFitsPairRegion(256));
}

// Steps on a PairRegion train the same bits as on one thread, at batch 32
// (every product the engine's own; the tests above) and at batch 64, where
// the 300x100 layer's products are oneDNN's matmul and inner product, run
// on thread 0 of the region (one thread), and its backward's two products
// side by side on the region's two threads. Validation then runs the
// primitives the region's first step created on the whole team.
TEST(ModelTest, PairRegionStepsOfOneDnnProductsTrainTheSameBits) {
  for (const std::string& policy : PolicyFields()) {
    SCOPED_TRACE(policy);
    std::vector<double> val_one, val_whole, val_halves;
    omp_set_num_threads(1);
    const auto [w_one, loss_one] =
        TrainSeedBn(policy, kSeedBn, std::nullopt, nullptr, 64, &val_one);
    omp_set_num_threads(2);
    const auto [w_whole, loss_whole] = TrainSeedBn(
        policy, kSeedBn, StepTeam::kWhole, nullptr, 64, &val_whole);
    const auto [w_halves, loss_halves] = TrainSeedBn(
        policy, kSeedBn, StepTeam::kKernelHalves, nullptr, 64, &val_halves);
    omp_set_num_threads(1);
    ASSERT_FALSE(w_one.empty());
    EXPECT_TRUE(w_whole == w_one);
    EXPECT_TRUE(w_halves == w_one);
    EXPECT_EQ(loss_whole, loss_one);
    EXPECT_EQ(loss_halves, loss_one);
    ASSERT_EQ(val_one.size(), 2u);
    EXPECT_GT(val_one[0], 0);
    EXPECT_EQ(val_whole, val_one);
    EXPECT_EQ(val_halves, val_one);
  }
}

// Early updates (Optimizer::BeginEarlyUpdates): in float32 the 784x300
// kernel is updated block by block during the backward, its gradient
// computed by WeightGradientRows instead of oneDNN (another summation
// order) and never stored. Against the same training with clipnorm 1e30,
// which changes no gradient but keeps every update in Step: the kernel's
// gradient buffer is never written, and the weights and losses agree to
// float rounding (on the Zen 5 host, oneDNN 2.6.3, to the bit: its matmul
// also sums the 32 rows in order).
TEST(ModelTest, EarlyUpdatesTrainAsWholeSteps) {
  omp_set_num_threads(2);
  std::string whole_json = kSeedBn;
  const std::string sgd = R"({"sgd": {"momentum": 0.9}})";
  whole_json.replace(whole_json.find(sgd), sgd.size(),
                     R"({"sgd": {"momentum": 0.9}, "clipnorm": 1e30})");
  const auto [w_whole, loss_whole] = TrainSeedBn("", whole_json);
  auto model = Model::Create(SpecFromJson(kSeedBn), 3);
  ASSERT_TRUE(model.ok()) << model.status();
  FitOptions opts;
  opts.epochs = 2;
  auto h = (*model)->Fit(Blobs(256, 784, 10, 4), std::move(opts));
  omp_set_num_threads(1);
  ASSERT_TRUE(h.ok()) << h.status();
  const ParameterStore& params = (*model)->parameters();
  const std::vector<float>& w = params.trainable_values();
  ASSERT_EQ(w.size(), w_whole.size());
  const Parameter* found = nullptr;
  for (const Parameter& p : params.params()) {
    if (p.name == "dense/kernel") found = &p;
  }
  ASSERT_NE(found, nullptr);
  const Parameter& kernel = *found;
  ASSERT_EQ(kernel.size, 784 * 300);
  int64_t written = 0;
  for (int64_t i = 0; i < kernel.size; ++i) {
    written += params.grads()[kernel.offset + i] != 0.f;
  }
  EXPECT_EQ(written, 0) << "the kernel's gradient was stored";
  double max_diff = 0, max_w = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    max_diff = std::max(max_diff, double{std::abs(w[i] - w_whole[i])});
    max_w = std::max(max_w, double{std::abs(w_whole[i])});
  }
  EXPECT_GT(max_w, 0.1);
  EXPECT_LT(max_diff, 1e-5) << "largest weight " << max_w;
  ASSERT_EQ(h->epochs.size(), loss_whole.size());
  for (size_t e = 0; e < loss_whole.size(); ++e) {
    EXPECT_NEAR(h->epochs[e].loss, loss_whole[e], 1e-5 * loss_whole[e]);
  }
}

// FitOptions::step_times: one StepTimes per epoch whose phases fit in the
// epoch's wall time and whose layers fit in their phases, where the layers
// that compute took time and the skipped ones none; timing changes no bit.
TEST(ModelTest, StepTimesAccountForEachEpochAndChangeNothing) {
  omp_set_num_threads(2);
  const auto [w_plain, loss_plain] = TrainSeedBn("");
  auto model = Model::Create(SpecFromJson(kSeedBn), 3);
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<StepTimes> times;
  FitOptions opts;
  opts.epochs = 2;
  opts.step_times = &times;
  auto h = (*model)->Fit(Blobs(256, 784, 10, 4), std::move(opts));
  omp_set_num_threads(1);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE((*model)->parameters().trainable_values() == w_plain);
  ASSERT_EQ(times.size(), 2u);
  for (size_t epoch = 0; epoch < times.size(); ++epoch) {
    SCOPED_TRACE(epoch);
    const StepTimes& t = times[epoch];
    EXPECT_EQ(t.steps, 8);  // 256 / 32
    EXPECT_GT(t.gather, 0);
    EXPECT_GT(t.forward, 0);
    EXPECT_GT(t.backward, 0);
    EXPECT_GT(t.update, 0);
    EXPECT_LE(t.gather + t.forward + t.backward + t.update,
              h->seconds[epoch]);
    // flatten, batch_normalization, dense, ..., dense_2.
    ASSERT_EQ(t.layer_forward.size(), 7u);
    ASSERT_EQ(t.layer_backward.size(), 7u);
    double forward = 0, backward = t.loss;
    for (size_t i = 0; i < 7; ++i) {
      forward += t.layer_forward[i];
      backward += t.layer_backward[i];
    }
    EXPECT_LE(forward, t.forward);
    EXPECT_LE(backward, t.backward);
    EXPECT_GT(t.loss, 0);
    // Flatten is skipped (the batch is gathered into its output), the input
    // batch norm's backward done by the dense layer after it (column sums).
    EXPECT_EQ(t.layer_forward[0], 0);
    EXPECT_EQ(t.layer_backward[0], 0);
    EXPECT_EQ(t.layer_backward[1], 0);
    for (size_t i = 1; i < 7; ++i) EXPECT_GT(t.layer_forward[i], 0) << i;
    for (size_t i = 2; i < 7; ++i) EXPECT_GT(t.layer_backward[i], 0) << i;
  }
}

TEST(ModelTest, MixedBfloat16TrainsLikeFloat32) {
  if (!CheckDtypePolicySupported(DtypePolicy::kMixedBfloat16, "p").ok()) {
    GTEST_SKIP() << "no bf16 inner product on this CPU";
  }
  omp_set_num_threads(1);
  const auto [w_f32, loss_f32] = TrainSeedBn("");
  const auto [w_bf16, loss_bf16] =
      TrainSeedBn(R"(, "dtype_policy": "mixed_bfloat16")");
  ASSERT_EQ(w_bf16.size(), w_f32.size());
  ASSERT_EQ(loss_bf16.size(), 2u);
  // Variables stay f32 and follow nearly the same path: close, not equal.
  EXPECT_NE(w_bf16, w_f32);
  double diff2 = 0, norm2 = 0;
  for (size_t i = 0; i < w_f32.size(); ++i) {
    diff2 += (w_bf16[i] - w_f32[i]) * double(w_bf16[i] - w_f32[i]);
    norm2 += w_f32[i] * double(w_f32[i]);
  }
  EXPECT_LT(std::sqrt(diff2 / norm2), 0.05);
  for (int e = 0; e < 2; ++e) {
    EXPECT_NEAR(loss_bf16[e], loss_f32[e], 0.05 * loss_f32[e] + 0.01) << e;
  }
  EXPECT_LT(loss_bf16[1], loss_bf16[0]);
}

// The seed model's first BatchNormalization takes its gradients from the
// column sums of the first Dense (Layer::TakesColumnSums), which then skips
// its backward-data inner product. With a linear Activation between them
// the model runs the full backward instead: the same training within
// rounding.
TEST(ModelTest, InputBatchNormalizationColumnSumsTrainLikeTheFullBackward) {
  omp_set_num_threads(1);
  std::string full = kSeedBn;
  const std::string first_bn = R"({"batch_normalization": {}},)";
  full.insert(full.find(first_bn) + first_bn.size(),
              R"({"activation": {"activation": "linear"}},)");
  const auto [w_sums, loss_sums] = TrainSeedBn("");
  const auto [w_full, loss_full] = TrainSeedBn("", full);
  ASSERT_EQ(w_sums.size(), w_full.size());
  ASSERT_EQ(w_sums.size(), 2u * 784 + 784 * 300 + 300 + 2 * 300 + 300 * 100 +
                               100 + 2 * 100 + 100 * 10 + 10);
  double diff2 = 0, norm2 = 0, gamma_moved = 0;
  for (size_t i = 0; i < w_full.size(); ++i) {
    diff2 += (w_sums[i] - w_full[i]) * double(w_sums[i] - w_full[i]);
    norm2 += w_full[i] * double(w_full[i]);
  }
  // The first layer's gamma (its first 784 values) was trained.
  for (size_t i = 0; i < 784; ++i) gamma_moved += std::abs(w_full[i] - 1.0);
  EXPECT_GT(gamma_moved / 784, 1e-3);
  EXPECT_LT(std::sqrt(diff2 / norm2), 1e-5);
  double gamma_diff = 0;
  for (size_t i = 0; i < 784; ++i) {
    gamma_diff += std::abs(w_sums[i] - w_full[i]);
  }
  EXPECT_LT(gamma_diff, 1e-3 * gamma_moved);
  ASSERT_EQ(loss_sums.size(), 2u);
  for (int e = 0; e < 2; ++e) EXPECT_NEAR(loss_sums[e], loss_full[e], 1e-5);
}

}  // namespace
}  // namespace profundo
