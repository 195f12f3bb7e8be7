// Layer::TakesColumnSums / BackwardToColumnSums / BackwardFromColumnSums
// (layer.h): a BatchNormalization on the input followed by a Dense gets its
// gamma and beta gradients from the Dense's column sums of diff_src. They
// must match a double-precision reference computed from the full diff_src
// (float32 and mixed_bfloat16, linear and ELU, seed-sized layers on 1 and 2
// threads), leave the Dense's own gradients unchanged, and the shortcut
// must be refused where it would lose accuracy.
#include <omp.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "engine/layers/batch_normalization.h"
#include "engine/layers/dense.h"
#include "engine/layers/row_dots.h"
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

constexpr double kBnEps = 1e-3;  // BatchNormalizationOptions' default

// BatchNormalization [features] -> Dense [units] in one ParameterStore.
struct BnDense {
  BnDense(int64_t features, int64_t units, ActivationKind activation,
          DtypePolicy policy, bool use_bias = true,
          BatchNormalizationOptions bn_options = {})
      : bn("batch_normalization", bn_options),
        dense("dense", DenseTestOptions(units, activation, use_bias, policy)),
        features(features),
        units(units) {
    EXPECT_TRUE(bn.Build({features}, h.params).ok());
    EXPECT_TRUE(dense.Build({features}, h.params).ok());
    h.params.Allocate();
    bn.Initialize(h.params, h.rng);
    dense.Initialize(h.params, h.rng);
  }

  float* gamma() { return h.params.value(bn.gamma_id()); }
  float* beta() { return h.params.value(bn.beta_id()); }

  // gamma in [0.5, 1.5), beta in [-1, 1): within kMaxBetaOverGamma.
  void RandomizeAffine() {
    for (int64_t c = 0; c < features; ++c) {
      gamma()[c] = 0.5f + h.rng.Uniform();
      beta()[c] = 2.f * h.rng.Uniform() - 1.f;
    }
  }

  // Columns with different means and spreads, like pixels.
  void Forward(int64_t rows) {
    x = RandomTensor({rows, features}, h.rng, 0, 1);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < features; ++c) x.at(r, c) *= 1 + c % 5;
    }
    bn.Forward(x, &y, Mode::kTrain, h.ctx);
    dense.Forward(y, &z, Mode::kTrain, h.ctx);
    dz = RandomTensor({rows, units}, h.rng, -1, 1);
  }

  // Every gradient set to `v`, so a test sees what a backward wrote.
  void FillGrads(float v) {
    for (int id = 0; id < static_cast<int>(h.params.params().size()); ++id) {
      if (!h.params.param(id).trainable) continue;
      std::fill_n(h.params.grad(id), h.params.param(id).size, v);
    }
  }
  std::vector<float> Grad(int id) const {
    return std::vector<float>(h.params.grad(id),
                              h.params.grad(id) + h.params.param(id).size);
  }

  Harness h;
  BatchNormalization bn;
  Dense dense;
  int64_t features, units;
  Tensor x, y, z, dz;
};

// Reference gamma / beta gradients in double from the full diff_src dy:
// sum_n dy and sum_n dy xhat, xhat from x with the batch statistics.
void RefAffineGradients(const Tensor& x, const Tensor& dy,
                        std::vector<double>* diff_gamma,
                        std::vector<double>* diff_beta) {
  const int64_t rows = x.dim(0), cols = x.dim(1);
  diff_gamma->assign(cols, 0.0);
  diff_beta->assign(cols, 0.0);
  for (int64_t c = 0; c < cols; ++c) {
    double mean = 0, var = 0;
    for (int64_t r = 0; r < rows; ++r) mean += x.at(r, c);
    mean /= rows;
    for (int64_t r = 0; r < rows; ++r) {
      var += (x.at(r, c) - mean) * (x.at(r, c) - mean);
    }
    var /= rows;
    for (int64_t r = 0; r < rows; ++r) {
      const double xhat = (x.at(r, c) - mean) / std::sqrt(var + kBnEps);
      (*diff_gamma)[c] += dy.at(r, c) * xhat;
      (*diff_beta)[c] += dy.at(r, c);
    }
  }
}

double MaxAbs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

struct Case {
  std::string name;
  int64_t features, units, rows;
  ActivationKind activation;
  DtypePolicy policy;
  int threads;
};

class ColumnSumsTest : public ::testing::TestWithParam<Case> {};

TEST_P(ColumnSumsTest, SameGradientsAsTheFullBackward) {
  const Case& k = GetParam();
  const int saved_threads = omp_get_max_threads();
  omp_set_num_threads(k.threads);
  BnDense m(k.features, k.units, k.activation, k.policy);
  m.RandomizeAffine();
  m.Forward(k.rows);
  ASSERT_TRUE(m.bn.TakesColumnSums(m.h.ctx));

  // The full backward: the Dense's diff_src is the BN's diff_dst.
  Tensor dy;
  m.FillGrads(7.f);
  m.dense.Backward(m.y, m.z, m.dz, &dy, m.h.ctx);
  m.bn.Backward(m.x, m.y, dy, nullptr, m.h.ctx);
  const std::vector<float> kernel = m.Grad(m.dense.kernel_id());
  const std::vector<float> bias = m.Grad(m.dense.bias_id());
  const std::vector<float> full_gamma = m.Grad(m.bn.gamma_id());

  ColumnSums sums;
  m.FillGrads(7.f);
  ASSERT_TRUE(m.dense.BackwardToColumnSums(m.y, m.z, m.dz, &sums, m.h.ctx));
  m.bn.BackwardFromColumnSums(m.x, m.y, sums, m.h.ctx);
  omp_set_num_threads(saved_threads);

  // The Dense's own gradients come from the same inner product.
  EXPECT_EQ(m.Grad(m.dense.kernel_id()), kernel);
  EXPECT_EQ(m.Grad(m.dense.bias_id()), bias);
  // The column sums against the full diff_src, summed in double.
  ASSERT_EQ(sums.dy.size(), static_cast<size_t>(k.features));
  ASSERT_EQ(sums.dy_y.size(), static_cast<size_t>(k.features));
  std::vector<double> sum_dy(k.features, 0.0), sum_dy_y(k.features, 0.0);
  for (int64_t r = 0; r < k.rows; ++r) {
    for (int64_t c = 0; c < k.features; ++c) {
      sum_dy[c] += dy.at(r, c);
      sum_dy_y[c] += dy.at(r, c) * m.y.at(r, c);
    }
  }
  std::vector<double> want_gamma, want_beta;
  RefAffineGradients(m.x, dy, &want_gamma, &want_beta);
  // float32: both ways agree to rounding. mixed_bfloat16: the full
  // diff_src is itself a bf16 product (bf16 kernel and gradient), the sums
  // use the f32 kernel and bf16(dst); both are within bf16 rounding of the
  // exact value, so they agree to ~1% of the largest gradient.
  const bool bf16 = k.policy == DtypePolicy::kMixedBfloat16;
  const double rel = bf16 ? 1.5e-2 : 2e-5;
  ExpectAllNear(sums.dy.data(), sum_dy, rel * MaxAbs(sum_dy), 0, "sums.dy");
  ExpectAllNear(sums.dy_y.data(), sum_dy_y, rel * MaxAbs(sum_dy_y), 0,
                "sums.dy_y");
  ExpectAllNear(m.h.params.grad(m.bn.beta_id()), want_beta,
                rel * MaxAbs(want_beta), 0, "diff_beta");
  ExpectAllNear(m.h.params.grad(m.bn.gamma_id()), want_gamma,
                rel * MaxAbs(want_gamma), 0, "diff_gamma");
  // ... as the full backward's gamma gradient is.
  ExpectAllNear(full_gamma.data(), want_gamma, 2e-5 * MaxAbs(want_gamma), 0,
                "full diff_gamma");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ColumnSumsTest,
    ::testing::Values(Case{"small_linear_f32", 37, 19, 23,
                           ActivationKind::kLinear, DtypePolicy::kFloat32, 1},
                      Case{"small_elu_f32", 37, 19, 23, ActivationKind::kElu,
                           DtypePolicy::kFloat32, 1},
                      Case{"small_elu_bf16", 37, 19, 23, ActivationKind::kElu,
                           DtypePolicy::kMixedBfloat16, 1},
                      Case{"seed_elu_f32_2_threads", 784, 300, 32,
                           ActivationKind::kElu, DtypePolicy::kFloat32, 2},
                      Case{"seed_elu_bf16_2_threads", 784, 300, 32,
                           ActivationKind::kElu, DtypePolicy::kMixedBfloat16,
                           2}),
    [](const auto& info) { return info.param.name; });

// RowDots (row_dots.h), the column sums' kernel, against double loops: row
// counts around its groups of four, widths around its 16 lanes, float and
// bf16 rows; and each row's sums do not depend on the rows around it.
TEST(RowDots, MatchesDoubleLoops) {
  Rng rng(11);
  for (int64_t rows : {1, 3, 4, 5, 9}) {
    for (int64_t cols : {1, 15, 16, 17, 300}) {
      SCOPED_TRACE(::testing::Message() << rows << " x " << cols);
      const Tensor w = RandomTensor({rows, cols}, rng, -1, 1);
      const Tensor g = RandomTensor({rows, cols}, rng, -1, 1);
      const Tensor a = RandomTensor({cols}, rng, -1, 1);
      std::vector<uint16_t> w16(w.size());
      FloatToBfloat16(w.data(), w16.data(), w.size());
      std::vector<float> got_a(rows), got_g(rows), got16_a(rows),
          got16_g(rows), one_a(1), one_g(1);
      RowDots(w.data(), g.data(), a.data(), rows, cols, got_a.data(),
              got_g.data());
      RowDots(w16.data(), g.data(), a.data(), rows, cols, got16_a.data(),
              got16_g.data());
      for (int64_t c = 0; c < rows; ++c) {
        double ref_a = 0, ref_g = 0, ref16_a = 0, ref16_g = 0;
        for (int64_t k = 0; k < cols; ++k) {
          const double wk = w.at(c, k), w16k = WidenToFloat(w16[c * cols + k]);
          ref_a += wk * a.data()[k];
          ref_g += wk * g.at(c, k);
          ref16_a += w16k * a.data()[k];
          ref16_g += w16k * g.at(c, k);
        }
        const double tol = 1e-5 * std::sqrt(static_cast<double>(cols));
        EXPECT_NEAR(got_a[c], ref_a, tol) << c;
        EXPECT_NEAR(got_g[c], ref_g, tol) << c;
        EXPECT_NEAR(got16_a[c], ref16_a, tol) << c;
        EXPECT_NEAR(got16_g[c], ref16_g, tol) << c;
        RowDots(w16.data() + c * cols, g.data() + c * cols, a.data(), 1, cols,
                one_a.data(), one_g.data());
        EXPECT_EQ(one_a[0], got16_a[c]) << c;
        EXPECT_EQ(one_g[0], got16_g[c]) << c;
      }
    }
  }
}

// The seed's 784x300 layer at batch 32 splits its products
// (SplitInnerProduct): on two threads each half's column sums are computed
// by the thread that computed its gradient rows, from its own copy of the
// bias gradient; on one thread, on three (the halves in turn, the rows over
// the team) and in a kKernelHalves step the sums must have the same bits.
TEST(ColumnSums, SameBitsOnAnyTeam) {
  struct Team {
    int threads;
    StepTeam mode;
  };
  const Team teams[] = {{1, StepTeam::kWhole},
                        {2, StepTeam::kWhole},
                        {3, StepTeam::kWhole},
                        {2, StepTeam::kKernelHalves}};
  for (DtypePolicy policy :
       {DtypePolicy::kFloat32, DtypePolicy::kMixedBfloat16}) {
    std::vector<float> want_dy, want_dy_y, want_gamma, want_beta;
    for (const Team& team : teams) {
      SCOPED_TRACE(::testing::Message()
                   << team.threads << " threads, mode "
                   << static_cast<int>(team.mode) << ", policy "
                   << static_cast<int>(policy));
      const int saved_threads = omp_get_max_threads();
      omp_set_num_threads(team.threads);
      BnDense m(784, 300, ActivationKind::kElu, policy);
      m.RandomizeAffine();
      ColumnSums sums;
      {
        const ScopedStepTeam step(team.mode, team.threads);
        m.Forward(32);
        ASSERT_TRUE(
            m.dense.BackwardToColumnSums(m.y, m.z, m.dz, &sums, m.h.ctx));
        m.bn.BackwardFromColumnSums(m.x, m.y, sums, m.h.ctx);
      }
      omp_set_num_threads(saved_threads);
      if (want_dy.empty()) {
        want_dy = sums.dy;
        want_dy_y = sums.dy_y;
        want_gamma = m.Grad(m.bn.gamma_id());
        want_beta = m.Grad(m.bn.beta_id());
        continue;
      }
      EXPECT_EQ(sums.dy, want_dy);
      EXPECT_EQ(sums.dy_y, want_dy_y);
      EXPECT_EQ(m.Grad(m.bn.gamma_id()), want_gamma);
      EXPECT_EQ(m.Grad(m.bn.beta_id()), want_beta);
    }
  }
}

TEST(ColumnSums, BatchNormalizationRefusesIllConditionedColumns) {
  BnDense m(8, 3, ActivationKind::kLinear, DtypePolicy::kFloat32);
  // Initial gamma 1, beta 0.
  EXPECT_TRUE(m.bn.TakesColumnSums(m.h.ctx));
  m.beta()[3] = -BatchNormalization::kMaxBetaOverGamma;  // the limit
  EXPECT_TRUE(m.bn.TakesColumnSums(m.h.ctx));
  m.beta()[3] = 4.5f;
  EXPECT_FALSE(m.bn.TakesColumnSums(m.h.ctx));
  m.beta()[3] = 0.f;
  m.gamma()[5] = 0.f;  // xhat cannot be recovered from dst
  EXPECT_FALSE(m.bn.TakesColumnSums(m.h.ctx));
  m.gamma()[5] = 1e-30f;
  EXPECT_FALSE(m.bn.TakesColumnSums(m.h.ctx));
  m.gamma()[5] = -0.5f;  // a negative scale is fine
  EXPECT_TRUE(m.bn.TakesColumnSums(m.h.ctx));
  m.gamma()[6] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(m.bn.TakesColumnSums(m.h.ctx));
}

TEST(ColumnSums, WithoutScaleGammaIsOne) {
  BatchNormalizationOptions o;
  o.scale = false;
  BnDense m(8, 3, ActivationKind::kLinear, DtypePolicy::kFloat32, true, o);
  m.beta()[2] = 4.f;
  EXPECT_TRUE(m.bn.TakesColumnSums(m.h.ctx));
  m.beta()[2] = -4.5f;
  EXPECT_FALSE(m.bn.TakesColumnSums(m.h.ctx));
}

TEST(ColumnSums, DenseWithoutBiasDeclines) {
  BnDense m(8, 3, ActivationKind::kLinear, DtypePolicy::kFloat32,
            /*use_bias=*/false);
  m.Forward(5);
  m.FillGrads(7.f);
  ColumnSums sums;
  EXPECT_FALSE(m.dense.BackwardToColumnSums(m.y, m.z, m.dz, &sums, m.h.ctx));
  EXPECT_EQ(m.Grad(m.dense.kernel_id()), std::vector<float>(24, 7.f));
  EXPECT_TRUE(sums.dy.empty());
}

}  // namespace
}  // namespace profundo
