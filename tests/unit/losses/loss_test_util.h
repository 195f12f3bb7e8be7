// Test helpers for the losses: central finite differences of a loss in its
// first argument, random tensors and a double-precision softmax.
#ifndef PROFUNDO_TESTS_UNIT_LOSSES_LOSS_TEST_UTIL_H_
#define PROFUNDO_TESTS_UNIT_LOSSES_LOSS_TEST_UTIL_H_

#include <cmath>
#include <functional>
#include <vector>

#include "engine/losses/loss.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "gtest/gtest.h"

namespace profundo {
namespace testing_util {

// d f / d x_i by central differences with step h (the difference is taken
// over the float values actually stored, so rounding of x + h is exact).
inline std::vector<double> NumericGradient(
    const std::function<double(const Tensor&)>& f, const Tensor& x,
    double h = 1e-3) {
  std::vector<double> grad(x.size());
  Tensor xp = x;
  for (int64_t i = 0; i < x.size(); ++i) {
    const float v = x.data()[i];
    xp.data()[i] = static_cast<float>(v + h);
    const double hi_x = xp.data()[i];
    const double hi = f(xp);
    xp.data()[i] = static_cast<float>(v - h);
    const double lo_x = xp.data()[i];
    const double lo = f(xp);
    xp.data()[i] = v;
    grad[i] = (hi - lo) / (hi_x - lo_x);
  }
  return grad;
}

// Expects the analytic gradient to match central differences.
inline void ExpectGradientMatches(const std::function<double(const Tensor&)>& f,
                                  const Tensor& x, const Tensor& analytic,
                                  double tolerance, double h = 1e-3) {
  ASSERT_EQ(analytic.shape(), x.shape());
  const std::vector<double> numeric = NumericGradient(f, x, h);
  for (int64_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(analytic.data()[i], numeric[i],
                tolerance * (1.0 + std::fabs(numeric[i])))
        << "element " << i;
  }
}

// A tensor of U[lo, hi) values.
inline Tensor RandomTensor(Shape shape, Rng& rng, double lo, double hi) {
  Tensor t(std::move(shape));
  for (float& v : t.values()) {
    v = static_cast<float>(lo + (hi - lo) * rng.UniformDouble());
  }
  return t;
}

// Expects the gradient of loss.Compute (or ComputeFromLogits) in x to match
// central differences.
inline void ExpectLossGradientMatches(const Loss& loss, bool from_logits,
                                      const Tensor& x, const Tensor& y,
                                      double tolerance, double h = 1e-3) {
  auto f = [&](const Tensor& in, Tensor* diff) {
    return from_logits ? loss.ComputeFromLogits(in, y, diff)
                       : loss.Compute(in, y, diff);
  };
  Tensor diff;
  f(x, &diff);
  ExpectGradientMatches([&](const Tensor& in) { return f(in, nullptr); }, x,
                        diff, tolerance, h);
}

// Row-wise softmax of [N, K] logits, computed in double.
inline Tensor Softmax(const Tensor& logits) {
  Tensor out(logits.shape());
  const int64_t n = logits.dim(0), k = logits.dim(1);
  for (int64_t i = 0; i < n; ++i) {
    double m = logits.at(i, 0);
    for (int64_t j = 1; j < k; ++j) m = std::max<double>(m, logits.at(i, j));
    double sum = 0;
    for (int64_t j = 0; j < k; ++j) sum += std::exp(logits.at(i, j) - m);
    for (int64_t j = 0; j < k; ++j) {
      out.at(i, j) = static_cast<float>(std::exp(logits.at(i, j) - m) / sum);
    }
  }
  return out;
}

// Expects d_logits to be d_p carried back through a row-wise softmax p:
// dL/dz_k = p_k (dL/dp_k - sum_j dL/dp_j p_j).
inline void ExpectSoftmaxChainRule(const Tensor& p, const Tensor& d_p,
                                   const Tensor& d_logits, double tolerance) {
  for (int64_t i = 0; i < p.dim(0); ++i) {
    double dot = 0;
    for (int64_t j = 0; j < p.dim(1); ++j) dot += d_p.at(i, j) * p.at(i, j);
    for (int64_t k = 0; k < p.dim(1); ++k) {
      EXPECT_NEAR(d_logits.at(i, k), p.at(i, k) * (d_p.at(i, k) - dot),
                  tolerance)
          << "row " << i << ", column " << k;
    }
  }
}

// Expects ComputeFromSoftmax on SoftmaxRows(logits) to give
// ComputeFromLogits's loss and gradient to float rounding, both finite
// (the probabilities are float, logits' computation is in double); rows
// with a non-finite logit take ComputeFromLogits's own path, bit for bit.
inline void ExpectFromSoftmaxMatchesFromLogits(const Loss& loss,
                                               const Tensor& logits,
                                               const Tensor& y) {
  Tensor p, d_softmax, d_logits;
  SoftmaxRows(logits, &p);
  const double from_softmax = loss.ComputeFromSoftmax(logits, p, y, &d_softmax);
  const double from_logits = loss.ComputeFromLogits(logits, y, &d_logits);
  bool finite = true;
  for (float z : logits.values()) finite = finite && std::isfinite(z);
  if (!finite) {
    EXPECT_EQ(std::isnan(from_softmax), std::isnan(from_logits));
    if (!std::isnan(from_logits)) {
      EXPECT_EQ(from_softmax, from_logits);
    }
    return;
  }
  EXPECT_NEAR(from_softmax, from_logits, 1e-6 * (1 + std::fabs(from_logits)));
  EXPECT_EQ(loss.ComputeFromSoftmax(logits, p, y, nullptr), from_softmax);
  ASSERT_EQ(d_softmax.shape(), logits.shape());
  for (int64_t i = 0; i < logits.size(); ++i) {
    EXPECT_NEAR(d_softmax.data()[i], d_logits.data()[i], 1e-6)
        << "element " << i;
  }
}

}  // namespace testing_util
}  // namespace profundo

#endif  // PROFUNDO_TESTS_UNIT_LOSSES_LOSS_TEST_UTIL_H_
