// Test helpers for engine/layers: a Context to run layers in, random inputs,
// double-precision reference activations, and central finite differences.
#ifndef PROFUNDO_TESTS_UNIT_LAYERS_LAYER_TEST_UTIL_H_
#define PROFUNDO_TESTS_UNIT_LAYERS_LAYER_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/activations/activation.h"
#include "engine/context.h"
#include "engine/initializers/initializer.h"
#include "engine/layers/dense.h"
#include "engine/parameters.h"
#include "engine/rng.h"
#include "engine/tensor.h"
#include "gtest/gtest.h"

namespace profundo {
namespace testing {

// Owns everything a layer needs at run time.
struct Harness {
  explicit Harness(uint64_t seed = 1) : rng(seed) {}
  DnnlContext dnnl;
  ParameterStore params;
  Rng rng;
  Context ctx{dnnl, params, rng};
};

// Uniform values in [lo, hi); with min_abs > 0, values with |v| < min_abs
// are pushed away from 0 (to keep finite differences off kinks).
inline Tensor RandomTensor(Shape shape, Rng& rng, double lo = -2.0,
                           double hi = 2.0, double min_abs = 0.0) {
  Tensor t(std::move(shape));
  for (float& v : t.values()) {
    double x = lo + (hi - lo) * rng.UniformDouble();
    if (std::abs(x) < min_abs) x = x < 0 ? x - min_abs : x + min_abs;
    v = static_cast<float>(x);
  }
  return t;
}

inline std::vector<double> ToDouble(const float* p, int64_t n) {
  return std::vector<double>(p, p + n);
}
inline std::vector<double> ToDouble(const Tensor& t) {
  return ToDouble(t.data(), t.size());
}

// Fills with a fixed list of values, cycled (a deterministic initializer
// for tests that do not want the initializers library).
class SequenceInitializer final : public Initializer {
 public:
  explicit SequenceInitializer(std::vector<float> values)
      : values_(std::move(values)) {}
  void Fill(float* w, const Shape& shape, Rng& rng) const override {
    const int64_t n = NumElements(shape);
    for (int64_t i = 0; i < n; ++i) w[i] = values_[i % values_.size()];
  }

 private:
  std::vector<float> values_;
};

// Draws U[lo, hi) from the Rng.
class UniformTestInitializer final : public Initializer {
 public:
  UniformTestInitializer(double lo, double hi) : lo_(lo), hi_(hi) {}
  void Fill(float* w, const Shape& shape, Rng& rng) const override {
    const int64_t n = NumElements(shape);
    for (int64_t i = 0; i < n; ++i) {
      w[i] = static_cast<float>(lo_ + (hi_ - lo_) * rng.UniformDouble());
    }
  }

 private:
  double lo_, hi_;
};

// Options of a Dense with U(-0.8, 0.8) kernel and U(-0.5, 0.5) bias.
inline DenseOptions DenseTestOptions(
    int64_t units, ActivationKind kind, bool use_bias = true,
    DtypePolicy policy = DtypePolicy::kFloat32) {
  DenseOptions o;
  o.dtype_policy = policy;
  o.units = units;
  o.activation = kind;
  o.use_bias = use_bias;
  o.kernel_initializer = std::make_unique<UniformTestInitializer>(-0.8, 0.8);
  if (use_bias) {
    o.bias_initializer = std::make_unique<UniformTestInitializer>(-0.5, 0.5);
  }
  return o;
}

// Reference activation of one value (not softmax).
inline double RefActivation(ActivationKind kind, double alpha, double x) {
  switch (kind) {
    case ActivationKind::kLinear:
      return x;
    case ActivationKind::kSigmoid:
      return 1.0 / (1.0 + std::exp(-x));
    case ActivationKind::kTanh:
      return std::tanh(x);
    case ActivationKind::kRelu:
      return x > 0 ? x : 0.0;
    case ActivationKind::kLeakyRelu:
      return x > 0 ? x : alpha * x;
    case ActivationKind::kElu:
      return x > 0 ? x : alpha * std::expm1(x);
    case ActivationKind::kSelu:
      return kSeluScale * (x > 0 ? x : kSeluAlpha * std::expm1(x));
    case ActivationKind::kSoftmax:
      break;
  }
  ADD_FAILURE() << "RefActivation: softmax is row-wise";
  return 0;
}

// Reference activation of [rows, cols] values (softmax along cols).
inline std::vector<double> RefActivationRows(ActivationKind kind, double alpha,
                                             const std::vector<double>& x,
                                             int64_t cols) {
  std::vector<double> y(x.size());
  if (kind != ActivationKind::kSoftmax) {
    for (size_t i = 0; i < x.size(); ++i)
      y[i] = RefActivation(kind, alpha, x[i]);
    return y;
  }
  for (size_t r = 0; r < x.size() / cols; ++r) {
    const double* xr = x.data() + r * cols;
    double* yr = y.data() + r * cols;
    const double m = *std::max_element(xr, xr + cols);
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += (yr[c] = std::exp(xr[c] - m));
    for (int64_t c = 0; c < cols; ++c) yr[c] /= sum;
  }
  return y;
}

// Central differences of f at x: (f(x + h e_i) - f(x - h e_i)) / 2h.
inline std::vector<double> NumericGradient(
    const std::function<double(const std::vector<double>&)>& f,
    std::vector<double> x, double h = 1e-6) {
  std::vector<double> g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double xi = x[i];
    x[i] = xi + h;
    const double fp = f(x);
    x[i] = xi - h;
    const double fm = f(x);
    x[i] = xi;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

// sum(y * r): the scalar whose gradient wrt y is r.
inline double Dot(const std::vector<double>& y, const std::vector<double>& r) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += y[i] * r[i];
  return s;
}

// |got - want| <= atol + rtol * |want| elementwise.
// The bf16 bits of x rounded to nearest, ties to even, denormals to zeros of
// their sign (the reference for the engine's float -> bf16 conversions).
inline uint16_t RefBf16Bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof(u));
  if ((u & 0x7f800000u) == 0) return static_cast<uint16_t>((u >> 31) << 15);
  const uint32_t lower = u & 0xffffu, upper = u >> 16;
  if (lower > 0x8000u || (lower == 0x8000u && (upper & 1u))) {
    return static_cast<uint16_t>(upper + 1);
  }
  return static_cast<uint16_t>(upper);
}

inline void ExpectAllNear(const float* got, const std::vector<double>& want,
                          double atol, double rtol, const std::string& what) {
  int failures = 0;
  for (size_t i = 0; i < want.size() && failures < 5; ++i) {
    const double tol = atol + rtol * std::abs(want[i]);
    if (!(std::abs(got[i] - want[i]) <= tol)) {
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want "
                    << want[i] << " (tol " << tol << ")";
      ++failures;
    }
  }
}

}  // namespace testing
}  // namespace profundo

#endif  // PROFUNDO_TESTS_UNIT_LAYERS_LAYER_TEST_UTIL_H_
