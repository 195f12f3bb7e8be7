// SplitInnerProduct: forward (with and without an activation) and backward
// weights over two halves of the kernel's rows against double-precision
// reference loops (float32, and bf16 inputs against the reference on the
// same bf16 values), the same bits on one and two threads and in a
// kKernelHalves step, and Dense's training
// step using it (its kTrain forward against its kInference forward, which
// uses the one inner product, and its kernel gradient against a
// reference).
#include "engine/layers/split_inner_product.h"

#include <omp.h>

#include <cmath>
#include <memory>
#include <vector>

#include "engine/layers/dense.h"
#include "engine/mixed_precision/bfloat16.h"
#include "engine/parallel.h"
#include "gtest/gtest.h"
#include "tests/unit/layers/layer_test_util.h"

namespace profundo {
namespace {

using ::profundo::testing::DenseTestOptions;
using ::profundo::testing::ExpectAllNear;
using ::profundo::testing::Harness;
using ::profundo::testing::RandomTensor;
using dt = dnnl::memory::data_type;

// Random inputs in f32, their bf16 bits, and the values the kernels see.
struct Operand {
  Operand(int64_t n, Rng& rng, bool bf16) : f32(n), bits(n), seen(n) {
    for (int64_t i = 0; i < n; ++i) {
      f32[i] = static_cast<float>(2.0 * rng.UniformDouble() - 1.0);
      bits[i] = Bfloat16Bits(f32[i]);
      seen[i] = bf16 ? WidenToFloat(bits[i]) : f32[i];
    }
  }
  const void* data(bool bf16) const {
    return bf16 ? static_cast<const void*>(bits.data()) : f32.data();
  }
  std::vector<float> f32;
  std::vector<uint16_t> bits;
  std::vector<double> seen;
};

double MaxAbs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

// run(0) on one thread, run(1) on two and run(2) in a kKernelHalves step
// (the halves on two threads, their sum on the calling one).
template <typename Run>
void InEveryTeamMode(const Run& run) {
  const int saved = omp_get_max_threads();
  for (int mode : {0, 1, 2}) {
    const int threads = mode == 1 ? 2 : 1;
    omp_set_num_threads(threads);
    const ScopedStepTeam step(
        mode == 2 ? StepTeam::kKernelHalves : StepTeam::kWhole, threads);
    run(mode);
  }
  omp_set_num_threads(saved);
}

struct Shape3 {
  int64_t rows, fan_in, units;
  bool bf16;
};

class SplitInnerProductTest : public ::testing::TestWithParam<Shape3> {};

TEST_P(SplitInnerProductTest, MatchesReferenceAndIsTheSameOnOneAndTwoThreads) {
  const auto [rows, fan_in, units, bf16] = GetParam();
  Rng rng(7);
  Operand src(rows * fan_in, rng, bf16), kernel(fan_in * units, rng, bf16),
      diff_dst(rows * units, rng, bf16);
  std::vector<float> bias(units);
  for (float& b : bias) b = static_cast<float>(rng.UniformDouble() - 0.5);
  // References in double on the values the kernels see.
  std::vector<double> want_dst(rows * units), want_dk(fan_in * units, 0.0),
      want_db(units, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < units; ++j) {
      double s = bias[j];
      for (int64_t k = 0; k < fan_in; ++k) {
        s += src.seen[r * fan_in + k] * kernel.seen[k * units + j];
      }
      want_dst[r * units + j] = s;
      want_db[j] += diff_dst.seen[r * units + j];
      for (int64_t k = 0; k < fan_in; ++k) {
        want_dk[k * units + j] +=
            src.seen[r * fan_in + k] * diff_dst.seen[r * units + j];
      }
    }
  }
  Harness h;
  std::vector<float> dst[3], dk[3], db[3];
  InEveryTeamMode([&](int run) {
    SplitInnerProduct split(rows, fan_in, units, bf16 ? dt::bf16 : dt::f32,
                            h.dnnl.engine);
    std::vector<float>& d = dst[run];
    std::vector<float>& k = dk[run];
    std::vector<float>& b = db[run];
    d.assign(rows * units, 7.f);
    k.assign(fan_in * units, 7.f);
    b.assign(units, 7.f);
    split.Forward(src.data(bf16), kernel.data(bf16), bias.data(), d.data());
    split.BackwardWeights(src.data(bf16), diff_dst.data(bf16), k.data(),
                          b.data());
  });
  // f32 accumulation of fan_in (or rows) products of values below 1.
  ExpectAllNear(dst[0].data(), want_dst, 1e-5 * MaxAbs(want_dst), 1e-5, "dst");
  ExpectAllNear(dk[0].data(), want_dk, 1e-5 * MaxAbs(want_dk), 1e-5,
                "diff_kernel");
  ExpectAllNear(db[0].data(), want_db, 1e-5 * MaxAbs(want_db), 1e-5,
                "diff_bias");
  for (int run : {1, 2}) {
    EXPECT_EQ(dst[0], dst[run]) << run;
    EXPECT_EQ(dk[0], dk[run]) << run;
    EXPECT_EQ(db[0], db[run]) << run;
  }

  // With an activation (ELU, alpha 1), which each thread applies to its
  // rows of the sum: elu of the reference; the same bits on one and two
  // threads and in a kKernelHalves step.
  dnnl::post_ops elu;
  elu.append_eltwise(1.f, dnnl::algorithm::eltwise_elu_use_dst_for_bwd, 1.f,
                     0.f);
  std::vector<float> act[3];
  InEveryTeamMode([&](int run) {
    SplitInnerProduct split(rows, fan_in, units, bf16 ? dt::bf16 : dt::f32,
                            h.dnnl.engine, elu);
    act[run].assign(rows * units, 7.f);
    split.Forward(src.data(bf16), kernel.data(bf16), bias.data(),
                  act[run].data());
  });
  std::vector<double> want_act(want_dst);
  for (double& v : want_act) v = v > 0 ? v : std::expm1(v);
  ExpectAllNear(act[0].data(), want_act, 1e-5 * MaxAbs(want_act), 1e-5,
                "elu(dst)");
  EXPECT_EQ(act[0], act[1]);
  EXPECT_EQ(act[0], act[2]);

  // Without a bias: the products alone.
  SplitInnerProduct split(rows, fan_in, units, bf16 ? dt::bf16 : dt::f32,
                          h.dnnl.engine);
  std::vector<float> no_bias(rows * units);
  split.Forward(src.data(bf16), kernel.data(bf16), nullptr, no_bias.data());
  for (int64_t i = 0; i < rows * units; ++i) want_dst[i] -= bias[i % units];
  ExpectAllNear(no_bias.data(), want_dst, 1e-5 * MaxAbs(want_dst), 1e-5,
                "dst without bias");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, SplitInnerProductTest,
    ::testing::Values(Shape3{32, 784, 300, false}, Shape3{32, 784, 300, true},
                      Shape3{5, 301, 7, false}, Shape3{5, 301, 7, true}),
    [](const auto& info) {
      return std::to_string(info.param.rows) + "x" +
             std::to_string(info.param.fan_in) + "x" +
             std::to_string(info.param.units) +
             (info.param.bf16 ? "_bf16" : "_f32");
    });

TEST(SplitInnerProduct, AppliesToSmallBatchesOfLargeLayers) {
  EXPECT_TRUE(SplitInnerProduct::Applies(32, 784, 300));
  EXPECT_TRUE(SplitInnerProduct::Applies(256, 784, 300));
  EXPECT_FALSE(SplitInnerProduct::Applies(257, 784, 300));
  EXPECT_FALSE(SplitInnerProduct::Applies(32, 300, 100));  // 30,000
  EXPECT_FALSE(SplitInnerProduct::Applies(0, 784, 300));
}

// Dense's training forward goes through the split (kInference does not):
// both give the layer's output; its kernel and bias gradients match a
// reference.
TEST(SplitInnerProduct, DenseTrainingStepUsesIt) {
  for (bool bf16 : {false, true}) {
    if (bf16 &&
        !CheckDtypePolicySupported(DtypePolicy::kMixedBfloat16, "p").ok()) {
      continue;
    }
    SCOPED_TRACE(bf16 ? "bf16" : "f32");
    Harness h;
    Dense dense("dense",
                DenseTestOptions(300, ActivationKind::kElu, true,
                                 bf16 ? DtypePolicy::kMixedBfloat16
                                      : DtypePolicy::kFloat32));
    ASSERT_TRUE(dense.Build({784}, h.params).ok());
    h.params.Allocate();
    dense.Initialize(h.params, h.rng);
    // Small weights keep ELU's outputs in both regimes.
    for (int64_t i = 0; i < 784 * 300; ++i) {
      h.params.value(dense.kernel_id())[i] *= 0.1f;
    }
    Tensor x = RandomTensor({32, 784}, h.rng, -1, 1);
    Tensor train, infer;
    dense.Forward(x, &infer, Mode::kInference, h.ctx);
    dense.Forward(x, &train, Mode::kTrain, h.ctx);
    // The same math, summed in another order (bf16: the same bf16 inputs).
    std::vector<double> want(infer.values().begin(), infer.values().end());
    ExpectAllNear(train.data(), want, 1e-5, 1e-5, "kTrain vs kInference");

    // Kernel gradient: ELU's derivative from dst, then src^T . that.
    Tensor dy = RandomTensor({32, 300}, h.rng, -1, 1);
    dense.Backward(x, train, dy, nullptr, h.ctx);
    std::vector<double> g(32 * 300), want_dk(784 * 300, 0.0),
        want_db(300, 0.0);
    for (int64_t i = 0; i < 32 * 300; ++i) {
      const double y = train.data()[i];
      g[i] = dy.data()[i] * (y > 0 ? 1.0 : y + 1.0);
      if (bf16) g[i] = WidenToFloat(Bfloat16Bits(static_cast<float>(g[i])));
      want_db[i % 300] += g[i];
    }
    for (int64_t r = 0; r < 32; ++r) {
      for (int64_t k = 0; k < 784; ++k) {
        const float xs = x.at(r, k);
        const double xv = bf16 ? WidenToFloat(Bfloat16Bits(xs)) : xs;
        for (int64_t j = 0; j < 300; ++j) {
          want_dk[k * 300 + j] += xv * g[r * 300 + j];
        }
      }
    }
    const double tol = bf16 ? 2e-2 : 1e-4;
    ExpectAllNear(h.params.grad(dense.kernel_id()), want_dk,
                  tol * MaxAbs(want_dk), 0, "diff_kernel");
    ExpectAllNear(h.params.grad(dense.bias_id()), want_db,
                  tol * MaxAbs(want_db), 0, "diff_bias");
  }
}

}  // namespace
}  // namespace profundo
