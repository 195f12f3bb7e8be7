#include "engine/initializers/variance_scaling.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace profundo {

Fans ComputeFans(const Shape& shape) {
  Fans fans;
  if (shape.empty()) return fans;
  if (shape.size() == 1) {
    fans.fan_in = fans.fan_out = static_cast<double>(shape[0]);
  } else {
    double receptive_field = 1;
    for (size_t i = 0; i + 2 < shape.size(); ++i) {
      receptive_field *= static_cast<double>(shape[i]);
    }
    fans.fan_in =
        static_cast<double>(shape[shape.size() - 2]) * receptive_field;
    fans.fan_out = static_cast<double>(shape.back()) * receptive_field;
  }
  return fans;
}

double VarianceScaling::Variance(const Shape& shape) const {
  const Fans fans = ComputeFans(shape);
  double n = fans.fan_in;
  if (mode_ == FanMode::kFanOut) n = fans.fan_out;
  if (mode_ == FanMode::kFanAvg) n = (fans.fan_in + fans.fan_out) / 2.0;
  return scale_ / std::max(1.0, n);
}

void VarianceScaling::Fill(float* w, const Shape& shape, Rng& rng) const {
  const int64_t n = NumElements(shape);
  const double s = Variance(shape);
  switch (distribution_) {
    case Distribution::kUniform: {
      const double r = std::sqrt(3.0 * s);
      for (int64_t i = 0; i < n; ++i) {
        w[i] = static_cast<float>((2.0 * rng.UniformDouble() - 1.0) * r);
      }
      break;
    }
    case Distribution::kUntruncatedNormal: {
      const double sd = std::sqrt(s);
      for (int64_t i = 0; i < n; ++i)
        w[i] = static_cast<float>(sd * rng.Normal());
      break;
    }
    case Distribution::kTruncatedNormal: {
      const double sd = std::sqrt(s) / kTruncatedNormalStdFactor;
      for (int64_t i = 0; i < n; ++i) {
        double z = rng.Normal();
        while (std::fabs(z) > 2.0) z = rng.Normal();
        w[i] = static_cast<float>(sd * z);
      }
      break;
    }
  }
}

}  // namespace profundo
