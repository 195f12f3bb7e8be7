// Dense: forward against a naive double loop for every activation, backward
// (kernel, bias, diff_src) against central finite differences of
// sum(dst * R), parameters, Build errors and primitive reuse; under the
// mixed_bfloat16 policy, forward and backward against the same naive loops
// (exactly on bf16-rounded operands, and within bf16's error of the f32
// values).
#include "engine/layers/dense.h"

#include <omp.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/layers/rows_product.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/layers/layer_test_util.h"

namespace profundo {
namespace {

using ::profundo::testing::DenseTestOptions;
using ::profundo::testing::Dot;
using ::profundo::testing::ExpectAllNear;
using ::profundo::testing::Harness;
using ::profundo::testing::NumericGradient;
using ::profundo::testing::RandomTensor;
using ::profundo::testing::RefActivationRows;
using ::profundo::testing::ToDouble;
using ::profundo::testing::UniformTestInitializer;
using ::testing::HasSubstr;

// act(x . w + b) for x [n, in], w [in, units] row-major (Keras layout).
std::vector<double> RefDense(const std::vector<double>& x,
                             const std::vector<double>& w,
                             const std::vector<double>& b, int64_t n,
                             int64_t in, int64_t units, ActivationKind kind,
                             double alpha) {
  std::vector<double> z(n * units);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < units; ++j) {
      double s = b.empty() ? 0.0 : b[j];
      for (int64_t i = 0; i < in; ++i) s += x[r * in + i] * w[i * units + j];
      z[r * units + j] = s;
    }
  }
  return RefActivationRows(kind, alpha, z, units);
}

// A built and initialized Dense layer with its harness.
struct DenseFixture {
  DenseFixture(int64_t in, int64_t units, ActivationKind kind,
               bool use_bias = true, uint64_t seed = 3,
               DtypePolicy policy = DtypePolicy::kFloat32)
      : h(seed),
        dense("dense", DenseTestOptions(units, kind, use_bias, policy)) {
    absl::StatusOr<Shape> out = dense.Build({in}, h.params);
    EXPECT_TRUE(out.ok()) << out.status();
    h.params.Allocate();
    dense.Initialize(h.params, h.rng);
  }
  std::vector<double> kernel() const {
    const Parameter& p = h.params.param(dense.kernel_id());
    return ToDouble(h.params.value(dense.kernel_id()), p.size);
  }
  // A kTrain forward of x into y, then backward of r into dx and the
  // gradients (pre-filled with 123 to catch unwritten ones).
  void ForwardBackward(const Tensor& x, const Tensor& r, Tensor* y,
                       Tensor* dx) {
    dense.Forward(x, y, Mode::kTrain, h.ctx);
    std::fill(h.params.grads().begin(), h.params.grads().end(), 123.f);
    dense.Backward(x, *y, r, dx, h.ctx);
  }
  std::vector<double> bias() const {
    if (dense.bias_id() < 0) return {};
    return ToDouble(h.params.value(dense.bias_id()), dense.units());
  }
  Harness h;
  Dense dense;
};

struct DenseCase {
  ActivationKind kind;
  bool use_bias;
};

std::string CaseName(const ::testing::TestParamInfo<DenseCase>& info) {
  return std::string(ActivationName(info.param.kind)) +
         (info.param.use_bias ? "_bias" : "_nobias");
}

class DenseTest : public ::testing::TestWithParam<DenseCase> {};

constexpr int64_t kN = 5, kIn = 6, kUnits = 4;

TEST_P(DenseTest, ForwardMatchesNaiveLoop) {
  const DenseCase c = GetParam();
  DenseFixture f(kIn, kUnits, c.kind, c.use_bias);
  const double alpha = ActivationOp::DefaultAlpha(c.kind);
  Tensor x = RandomTensor({kN, kIn}, f.h.rng);
  for (Mode mode : {Mode::kTrain, Mode::kInference, Mode::kMcSample}) {
    Tensor y;
    f.dense.Forward(x, &y, mode, f.h.ctx);
    ASSERT_EQ(y.shape(), (Shape{kN, kUnits}));
    ExpectAllNear(y.data(),
                  RefDense(ToDouble(x), f.kernel(), f.bias(), kN, kIn, kUnits,
                           c.kind, alpha),
                  1e-5, 1e-5, "y");
  }
}

TEST_P(DenseTest, BackwardMatchesFiniteDifferences) {
  const DenseCase c = GetParam();
  DenseFixture f(kIn, kUnits, c.kind, c.use_bias);
  const double alpha = ActivationOp::DefaultAlpha(c.kind);
  Tensor x = RandomTensor({kN, kIn}, f.h.rng);
  Tensor r = RandomTensor({kN, kUnits}, f.h.rng, -1, 1);
  Tensor y, dx;
  f.ForwardBackward(x, r, &y, &dx);

  const std::vector<double> xd = ToDouble(x), rd = ToDouble(r);
  const std::vector<double> w = f.kernel(), b = f.bias();
  auto loss = [&](const std::vector<double>& xs, const std::vector<double>& ws,
                  const std::vector<double>& bs) {
    return Dot(RefDense(xs, ws, bs, kN, kIn, kUnits, c.kind, alpha), rd);
  };
  ASSERT_EQ(dx.shape(), x.shape());
  ExpectAllNear(dx.data(),
                NumericGradient([&](auto& v) { return loss(v, w, b); }, xd),
                1e-5, 1e-4, "diff_src");
  ExpectAllNear(f.h.params.grad(f.dense.kernel_id()),
                NumericGradient([&](auto& v) { return loss(xd, v, b); }, w),
                1e-5, 1e-4, "diff_kernel");
  if (c.use_bias) {
    ExpectAllNear(f.h.params.grad(f.dense.bias_id()),
                  NumericGradient([&](auto& v) { return loss(xd, w, v); }, b),
                  1e-5, 1e-4, "diff_bias");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Activations, DenseTest,
    ::testing::Values(DenseCase{ActivationKind::kLinear, true},
                      DenseCase{ActivationKind::kLinear, false},
                      DenseCase{ActivationKind::kSigmoid, true},
                      DenseCase{ActivationKind::kTanh, true},
                      DenseCase{ActivationKind::kRelu, true},
                      DenseCase{ActivationKind::kLeakyRelu, true},
                      DenseCase{ActivationKind::kElu, false},
                      DenseCase{ActivationKind::kSelu, true},
                      DenseCase{ActivationKind::kSoftmax, true}),
    CaseName);

TEST(Dense, ParametersInKerasLayout) {
  Harness h;
  DenseOptions o = DenseTestOptions(300, ActivationKind::kRelu);
  o.kernel_regularizer.l2 = 0.01;
  o.bias_regularizer.l1 = 0.5;
  o.kernel_constraint = MaxNorm{1.5, 0};
  Dense dense("dense_1", std::move(o));
  EXPECT_STREQ(dense.type(), "Dense");
  absl::StatusOr<Shape> out = dense.Build({784}, h.params);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, (Shape{300}));
  ASSERT_EQ(h.params.params().size(), 2u);
  const Parameter& kernel = h.params.param(dense.kernel_id());
  const Parameter& bias = h.params.param(dense.bias_id());
  EXPECT_EQ(kernel.name, "dense_1/kernel");
  EXPECT_EQ(kernel.shape, (Shape{784, 300}));
  EXPECT_TRUE(kernel.trainable);
  EXPECT_DOUBLE_EQ(kernel.regularizer.l2, 0.01);
  ASSERT_TRUE(kernel.constraint.has_value());
  EXPECT_DOUBLE_EQ(kernel.constraint->max_value, 1.5);
  EXPECT_EQ(bias.name, "dense_1/bias");
  EXPECT_EQ(bias.shape, (Shape{300}));
  EXPECT_DOUBLE_EQ(bias.regularizer.l1, 0.5);
  EXPECT_FALSE(bias.constraint.has_value());
  EXPECT_EQ(h.params.trainable_count(), 235500);  // the seed's first Dense
}

// What a training step leaves to oneDNN's team (Model::StepFitsPairRegion):
// the seed's layers at 32 rows run their products as the engine's own
// (split, by rows) or on one thread (below kParallelMinMacs).
TEST(Dense, TeamDnnlMacsCountsOnlyOneDnnsTeamProducts) {
  Harness h;
  Dense first("dense", DenseTestOptions(300, ActivationKind::kElu));
  Dense middle("dense_1", DenseTestOptions(100, ActivationKind::kElu));
  Dense last("dense_2", DenseTestOptions(10, ActivationKind::kSoftmax));
  ASSERT_TRUE(first.Build({784}, h.params).ok());
  ASSERT_TRUE(middle.Build({300}, h.params).ok());
  ASSERT_TRUE(last.Build({100}, h.params).ok());
  // 784x300: split up to 256 rows; only its backward-data product, when it
  // computes a diff_src, is oneDNN's.
  EXPECT_EQ(first.TeamDnnlMacs(32, /*diff_src=*/false), 0);
  EXPECT_EQ(first.TeamDnnlMacs(32, /*diff_src=*/true), 32 * 784 * 300);
  EXPECT_EQ(first.TeamDnnlMacs(256, /*diff_src=*/false), 0);
  EXPECT_EQ(first.TeamDnnlMacs(512, /*diff_src=*/false), 512 * 784 * 300);
  // 300x100: by rows up to 32 rows (AVX-512), oneDNN's matmuls beyond.
  EXPECT_EQ(middle.TeamDnnlMacs(32, true),
            RowsProductFast() ? 0 : 32 * 300 * 100);
  EXPECT_EQ(middle.TeamDnnlMacs(64, true), 64 * 300 * 100);
  EXPECT_EQ(middle.TeamDnnlMacs(256, true), 256 * 300 * 100);
  // 100x10: below kParallelMinMacs (500,000) up to 499 rows.
  EXPECT_EQ(last.TeamDnnlMacs(256, true), 0);
  EXPECT_EQ(last.TeamDnnlMacs(500, true), 500 * 100 * 10);
}

TEST(Dense, NoBiasParameterWithoutBias) {
  Harness h;
  Dense dense("dense", DenseTestOptions(10, ActivationKind::kLinear, false));
  ASSERT_TRUE(dense.Build({100}, h.params).ok());
  EXPECT_EQ(h.params.params().size(), 1u);
  EXPECT_EQ(dense.bias_id(), -1);
  EXPECT_EQ(h.params.trainable_count(), 1000);
}

TEST(Dense, RejectsNonFlatInput) {
  Harness h;
  Dense dense("dense", DenseTestOptions(10, ActivationKind::kLinear));
  absl::StatusOr<Shape> out = dense.Build({28, 28}, h.params);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("[28, 28]"));
  EXPECT_THAT(out.status().message(), HasSubstr("Flatten"));
}

TEST(Dense, FirstLayerSkipsDiffSrcButWritesGradients) {
  DenseFixture f(kIn, kUnits, ActivationKind::kTanh);
  Tensor x = RandomTensor({kN, kIn}, f.h.rng);
  Tensor r = RandomTensor({kN, kUnits}, f.h.rng, -1, 1);
  Tensor y, dx;
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  f.dense.Backward(x, y, r, &dx, f.h.ctx);
  const std::vector<float> want = f.h.params.grads();
  std::fill(f.h.params.grads().begin(), f.h.params.grads().end(), -7.f);
  f.dense.Backward(x, y, r, nullptr, f.h.ctx);
  EXPECT_EQ(f.h.params.grads(), want);
}

TEST(Dense, ReusesPrimitivesPerBatchSize) {
  DenseFixture f(kIn, kUnits, ActivationKind::kElu);
  Tensor x = RandomTensor({kN, kIn}, f.h.rng);
  Tensor r = RandomTensor({kN, kUnits}, f.h.rng, -1, 1);
  Tensor y, dx;
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  const int64_t after_first = f.dense.primitive_builds();
  // The inner product (inference's forward, backward data's hint, with the
  // elu as a post-op) and the training forward's: its matmul with the elu
  // as a post-op, or, where RowsProduct computes the product (up to 32
  // rows on AVX-512 CPUs), the elu's own eltwise primitive.
  EXPECT_EQ(after_first, 2);
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  EXPECT_EQ(f.dense.primitive_builds(), after_first);
  f.dense.Backward(x, y, r, &dx, f.h.ctx);
  const int64_t after_backward = f.dense.primitive_builds();
  // + backward data and weights (elu's backward is a hand-written loop),
  // unless RowsProduct computes them too.
  EXPECT_EQ(after_backward, RowsProductFast() ? 2 : 4);
  f.dense.Forward(x, &y, Mode::kInference, f.h.ctx);  // the inner product
  EXPECT_EQ(f.dense.primitive_builds(), after_backward);
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  f.dense.Backward(x, y, r, &dx, f.h.ctx);
  EXPECT_EQ(f.dense.primitive_builds(), after_backward);

  // A partial last batch builds once more and computes the right values.
  Tensor part = x.Rows(0, 2);
  f.dense.Forward(part, &y, Mode::kInference, f.h.ctx);
  EXPECT_EQ(f.dense.primitive_builds(), after_backward + 1);
  ExpectAllNear(y.data(),
                RefDense(ToDouble(part), f.kernel(), f.bias(), 2, kIn, kUnits,
                         ActivationKind::kElu, 1.0),
                1e-5, 1e-5, "partial");
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  EXPECT_EQ(f.dense.primitive_builds(), after_backward + 1);
}

TEST(Dense, SeedSizedLayerMatchesNaiveLoop) {
  DenseFixture f(784, 300, ActivationKind::kRelu);
  Tensor x = RandomTensor({32, 784}, f.h.rng, 0, 1);
  Tensor y;
  f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
  ExpectAllNear(y.data(),
                RefDense(ToDouble(x), f.kernel(), f.bias(), 32, 784, 300,
                         ActivationKind::kRelu, 0),
                1e-4, 1e-4, "y");
}

// The training forward of a layer SplitInnerProduct does not take, at up
// to 32 rows (RowsProduct, the rows in two halves on a team of two):
// against the naive loop, and the same bits on one thread and two, for an
// even and an odd row count.
TEST(Dense, TrainingForwardOfFewRowsMatchesNaiveLoopAndOneThread) {
  constexpr int64_t in = 300, units = 100;
  const int threads_before = omp_get_max_threads();
  for (int64_t n : {32, 17}) {
    SCOPED_TRACE(::testing::Message() << n << " rows");
    std::vector<float> y_by_threads[2];
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      DenseFixture f(in, units, ActivationKind::kElu);
      Tensor x = RandomTensor({n, in}, f.h.rng, -1, 1);
      Tensor y;
      f.dense.Forward(x, &y, Mode::kTrain, f.h.ctx);
      ExpectAllNear(y.data(),
                    RefDense(ToDouble(x), f.kernel(), f.bias(), n, in, units,
                             ActivationKind::kElu, 1.0),
                    1e-4, 1e-5, "y");
      y_by_threads[threads - 1] = y.values();
    }
    EXPECT_EQ(y_by_threads[1], y_by_threads[0]);
  }
  omp_set_num_threads(threads_before);
}

// The seed's 300x100 layer at batch 32: on a team of two its backward-data
// and backward-weights products run side by side, one per thread (dense.h).
// Gradients against a naive double loop, and the same bits as one thread.
TEST(Dense, BackwardOnATeamOfTwoMatchesNaiveLoopAndOneThread) {
  constexpr int64_t n = 32, in = 300, units = 100;
  const int threads_before = omp_get_max_threads();
  struct Result {
    std::vector<float> grads, dx;
  };
  auto run = [&](int threads) {
    omp_set_num_threads(threads);
    DenseFixture f(in, units, ActivationKind::kLinear);
    Tensor x = RandomTensor({n, in}, f.h.rng, -1, 1);
    Tensor r = RandomTensor({n, units}, f.h.rng, -1, 1);
    Tensor y, dx;
    f.ForwardBackward(x, r, &y, &dx);
    // Linear: diff_kernel = x^T r, diff_bias = column sums of r,
    // diff_src = r kernel^T.
    const std::vector<double> xd = ToDouble(x), rd = ToDouble(r),
                              w = f.kernel();
    std::vector<double> dw(in * units, 0.0), db(units, 0.0), dxd(n * in, 0.0);
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t j = 0; j < units; ++j) {
        db[j] += rd[b * units + j];
        for (int64_t i = 0; i < in; ++i) {
          dw[i * units + j] += xd[b * in + i] * rd[b * units + j];
          dxd[b * in + i] += rd[b * units + j] * w[i * units + j];
        }
      }
    }
    ExpectAllNear(f.h.params.grad(f.dense.kernel_id()), dw, 1e-4, 1e-5,
                  "diff_kernel");
    ExpectAllNear(f.h.params.grad(f.dense.bias_id()), db, 1e-4, 1e-5,
                  "diff_bias");
    ExpectAllNear(dx.data(), dxd, 1e-4, 1e-5, "diff_src");
    return Result{f.h.params.grads(), dx.values()};
  };
  const Result one = run(1);
  const Result two = run(2);
  omp_set_num_threads(threads_before);
  EXPECT_EQ(two.grads, one.grads);
  EXPECT_EQ(two.dx, one.dx);
}

// Inference of 256 rows and more runs on a blocked copy of the kernel
// (dense.cc, kBlockedMinRows): against the naive loop, and after the weights
// change (a non-const trainable_values(), as the optimizer's step and
// SetWeights write them) the next call computes with the new ones.
TEST(Dense, InferenceOfManyRowsUsesTheCurrentWeights) {
  constexpr int64_t n = 300, in = 300, units = 100;
  DenseFixture f(in, units, ActivationKind::kElu);
  Tensor x = RandomTensor({n, in}, f.h.rng, -1, 1);
  Tensor y;
  for (int round = 0; round < 3; ++round) {
    f.dense.Forward(x, &y, Mode::kInference, f.h.ctx);
    ExpectAllNear(y.data(),
                  RefDense(ToDouble(x), f.kernel(), f.bias(), n, in, units,
                           ActivationKind::kElu, 1.0),
                  1e-5, 1e-5, "y, round " + std::to_string(round));
    // Round 1 changes nothing (the copy is reused); round 2 sees this.
    if (round == 1) {
      std::vector<float>& w = f.h.params.trainable_values();
      for (float& v : w) v *= -0.5f;
    }
  }
  // Fewer rows: Keras's layout, the same values within rounding.
  Tensor part = x.Rows(0, 8), y_part;
  f.dense.Forward(part, &y_part, Mode::kInference, f.h.ctx);
  ExpectAllNear(y_part.data(),
                RefDense(ToDouble(part), f.kernel(), f.bias(), 8, in, units,
                         ActivationKind::kElu, 1.0),
                1e-5, 1e-5, "8 rows");
}

// ------------------------------------------------------------ mixed_bfloat16

// f32 -> bf16 -> f32 with round-to-nearest-even, as oneDNN converts.
double RoundToBf16(double v) {
  const float f = static_cast<float>(v);
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  bits += 0x7fff + ((bits >> 16) & 1);
  bits &= 0xffff0000u;
  float r;
  std::memcpy(&r, &bits, sizeof(r));
  return r;
}

std::vector<double> RoundToBf16(std::vector<double> v) {
  for (double& x : v) x = RoundToBf16(x);
  return v;
}

// sum_k |a[r, k]| |b[k, c]| for a [rows, inner], b [inner, cols]: the scale of
// the rounding error of a dot product.
std::vector<double> AbsProduct(const std::vector<double>& a,
                               const std::vector<double>& b, int64_t rows,
                               int64_t inner, int64_t cols) {
  std::vector<double> out(rows * cols, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t k = 0; k < inner; ++k) {
      for (int64_t c = 0; c < cols; ++c) {
        out[r * cols + c] +=
            std::abs(a[r * inner + k]) * std::abs(b[k * cols + c]);
      }
    }
  }
  return out;
}

// |got - want| <= rel * scale (+ a tiny absolute slack), element by element.
void ExpectWithinScale(const float* got, const std::vector<double>& want,
                       const std::vector<double>& scale, double rel,
                       const std::string& what) {
  int failures = 0;
  for (size_t i = 0; i < want.size() && failures < 5; ++i) {
    if (!(std::abs(got[i] - want[i]) <= rel * scale[i] + 1e-6)) {
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want "
                    << want[i] << " (scale " << scale[i] << ")";
      ++failures;
    }
  }
}

std::vector<double> Transpose(const std::vector<double>& m, int64_t rows,
                              int64_t cols) {
  std::vector<double> t(m.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) t[c * rows + r] = m[r * cols + c];
  }
  return t;
}

class DenseBf16Test : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status s =
        CheckDtypePolicySupported(DtypePolicy::kMixedBfloat16, "policy");
    if (!s.ok()) GTEST_SKIP() << s;
  }
};

// A `mode` forward of x [n, in] through f's bf16 layer [in, units] is the
// f32-accumulated product of the bf16-rounded operands, within bf16's
// rounding of the f32 result, and not that result to f32 precision.
void ExpectForwardRoundsOperandsToBf16(DenseFixture& f, const Tensor& x,
                                       Mode mode) {
  const int64_t n = x.dim(0), in = x.dim(1), units = f.dense.units();
  const std::vector<double> xd = ToDouble(x), w = f.kernel(), b = f.bias();
  Tensor y;
  f.dense.Forward(x, &y, mode, f.h.ctx);
  ASSERT_EQ(y.shape(), (Shape{n, units}));
  ExpectAllNear(y.data(),
                RefDense(RoundToBf16(xd), RoundToBf16(w), b, n, in, units,
                         ActivationKind::kElu, 1.0),
                1e-4, 1e-4, "y vs bf16 operands");
  // Each operand loses at most 2^-9 relatively, so |error| <= 2^-8 sum
  // |x w|.
  const std::vector<double> exact =
      RefDense(xd, w, b, n, in, units, ActivationKind::kElu, 1.0);
  ExpectWithinScale(y.data(), exact, AbsProduct(xd, w, n, in, units),
                    1.0 / 256, "y vs f32");
  double max_err = 0;
  for (int64_t i = 0; i < n * units; ++i) {
    max_err = std::max(max_err, std::abs(y.data()[i] - exact[i]));
  }
  EXPECT_GT(max_err, 1e-4) << "it did not round";
}

TEST_F(DenseBf16Test, ForwardRoundsOperandsToBf16) {
  // The seed's first Dense at batch 32.
  DenseFixture f(784, 300, ActivationKind::kElu, true, 3,
                 DtypePolicy::kMixedBfloat16);
  EXPECT_EQ(f.dense.dtype_policy(), DtypePolicy::kMixedBfloat16);
  Tensor x = RandomTensor({32, 784}, f.h.rng, -1, 1);
  ExpectForwardRoundsOperandsToBf16(f, x, Mode::kTrain);
  ExpectForwardRoundsOperandsToBf16(f, x, Mode::kInference);
}

// Inference of 256 rows and more: the blocked bf16 copy of the kernel
// (dense.cc) rounds the operands as the mirror does.
TEST_F(DenseBf16Test, InferenceOfManyRowsRoundsOperandsToBf16) {
  DenseFixture f(300, 100, ActivationKind::kElu, true, 5,
                 DtypePolicy::kMixedBfloat16);
  Tensor x = RandomTensor({256, 300}, f.h.rng, -1, 1);
  ExpectForwardRoundsOperandsToBf16(f, x, Mode::kInference);
}

TEST_F(DenseBf16Test, BackwardMatchesF32ReferenceWithinBf16Error) {
  constexpr int64_t n = 16, in = 64, units = 24;
  for (ActivationKind kind :
       {ActivationKind::kLinear, ActivationKind::kElu, ActivationKind::kTanh}) {
    SCOPED_TRACE(ActivationName(kind));
    DenseFixture f(in, units, kind, true, 5, DtypePolicy::kMixedBfloat16);
    const double alpha = ActivationOp::DefaultAlpha(kind);
    Tensor x = RandomTensor({n, in}, f.h.rng);
    Tensor r = RandomTensor({n, units}, f.h.rng, -1, 1);
    Tensor y, dx;
    f.ForwardBackward(x, r, &y, &dx);

    // f32 reference given the layer's output y: g = r * act'(z) written
    // in terms of y (as the layer computes it), then dx = g w^T,
    // dw = x^T g, db = sum_rows g.
    const std::vector<double> xd = ToDouble(x), w = f.kernel();
    const std::vector<double> rd = ToDouble(r);
    std::vector<double> g(n * units);
    for (int64_t i = 0; i < n * units; ++i) {
      const double yi = y.data()[i];
      double d = 1.0;  // linear
      if (kind == ActivationKind::kElu) d = yi > 0 ? 1.0 : yi + alpha;
      if (kind == ActivationKind::kTanh) d = 1.0 - yi * yi;
      g[i] = rd[i] * d;
    }
    const std::vector<double> wt = Transpose(w, in, units);
    const std::vector<double> xt = Transpose(xd, n, in);
    const std::vector<double> no_bias;
    const std::vector<double> want_dx =
        RefDense(g, wt, no_bias, n, units, in, ActivationKind::kLinear, 0);
    const std::vector<double> want_dw =
        RefDense(xt, g, no_bias, in, n, units, ActivationKind::kLinear, 0);
    std::vector<double> want_db(units, 0.0), scale_db(units, 0.0);
    for (int64_t i = 0; i < n * units; ++i) {
      want_db[i % units] += g[i];
      scale_db[i % units] += std::abs(g[i]);
    }
    // Each factor is rounded to bf16 (at most 2^-9 relatively each), so
    // allow 1% of sum |a b|.
    ASSERT_EQ(dx.shape(), x.shape());
    ExpectWithinScale(dx.data(), want_dx, AbsProduct(g, wt, n, units, in), 1e-2,
                      "diff_src");
    ExpectWithinScale(f.h.params.grad(f.dense.kernel_id()), want_dw,
                      AbsProduct(xt, g, in, n, units), 1e-2, "diff_kernel");
    ExpectWithinScale(f.h.params.grad(f.dense.bias_id()), want_db, scale_db,
                      1e-2, "diff_bias");
  }
}

TEST_F(DenseBf16Test, PartialBatchAndFloat32Unchanged) {
  // A second batch size in bf16 mode, and an f32 layer with the same weights
  // still matching the f32 loop to f32 precision.
  DenseFixture bf(kIn, kUnits, ActivationKind::kRelu, true, 3,
                  DtypePolicy::kMixedBfloat16);
  DenseFixture fp(kIn, kUnits, ActivationKind::kRelu, true, 3);
  EXPECT_EQ(bf.kernel(), fp.kernel());
  Tensor x = RandomTensor({kN, kIn}, bf.h.rng);
  const std::vector<double> xd = ToDouble(x);
  Tensor y;
  for (int64_t rows : {kN, int64_t{2}}) {
    Tensor part = x.Rows(0, rows);
    const std::vector<double> pd(xd.begin(), xd.begin() + rows * kIn);
    bf.dense.Forward(part, &y, Mode::kInference, bf.h.ctx);
    ExpectAllNear(y.data(),
                  RefDense(RoundToBf16(pd), RoundToBf16(bf.kernel()), bf.bias(),
                           rows, kIn, kUnits, ActivationKind::kRelu, 0),
                  1e-5, 1e-5, "bf16");
    fp.dense.Forward(part, &y, Mode::kInference, fp.h.ctx);
    ExpectAllNear(y.data(),
                  RefDense(pd, fp.kernel(), fp.bias(), rows, kIn, kUnits,
                           ActivationKind::kRelu, 0),
                  1e-6, 1e-6, "f32");
  }
}

}  // namespace
}  // namespace profundo
