#include "engine/layers/alpha_dropout.h"

#include <cmath>
#include <utility>

namespace profundo {

AlphaDropoutCoefficients AlphaDropoutCoefficientsFor(double rate) {
  const double ap = kAlphaDropoutAlphaP;
  const double a = 1.0 / std::sqrt((1.0 - rate) * (1.0 + rate * ap * ap));
  return {a, -a * ap * rate};
}

namespace {

DropoutBase::Transform AlphaTransform(double rate) {
  const AlphaDropoutCoefficients c = AlphaDropoutCoefficientsFor(rate);
  return {static_cast<float>(c.a), static_cast<float>(c.b),
          static_cast<float>(c.a * kAlphaDropoutAlphaP + c.b)};
}

}  // namespace

AlphaDropout::AlphaDropout(std::string name, double rate, bool always_active)
    : DropoutBase(std::move(name), rate, AlphaTransform(rate), always_active) {}

}  // namespace profundo
