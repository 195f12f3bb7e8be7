#include "engine/field_checks.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace profundo {

namespace {

// No spec quantity is meaningful at infinity (an infinite learning rate or
// penalty only turns the weights into NaN).
absl::Status NotFinite(double value, std::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " must be finite (got ", value, ")"));
}

}  // namespace

absl::Status CheckPositive(double value, std::string_view field) {
  if (std::isinf(value)) return NotFinite(value, field);
  if (value > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " must be > 0"));
}

absl::Status CheckNonNegative(double value, std::string_view field) {
  if (std::isinf(value)) return NotFinite(value, field);
  if (value >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " must be >= 0"));
}

absl::Status CheckInClosedRange(double value, double lo, double hi,
                                std::string_view field) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " must be in [", lo, ", ", hi, "]"));
}

absl::Status CheckInHalfOpenRange(double value, double lo, double hi,
                                  std::string_view field) {
  if (value >= lo && value < hi) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " must be in [", lo, ", ", hi, ")"));
}

absl::Status CheckCounter(double value, std::string_view field) {
  if (value >= 0 && value < 2147483648.0 && value == std::floor(value)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " must be an integer in [0, 2^31)"));
}

absl::Status CheckPiecewiseConstant(const std::vector<double>& boundaries,
                                    const std::vector<double>& values,
                                    std::string_view field) {
  const std::string f(field);
  if (values.size() != boundaries.size() + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        f, ".values must have one more entry than ", f, ".boundaries (got ",
        values.size(), " values, ", boundaries.size(), " boundaries)"));
  }
  for (size_t i = 0; i < boundaries.size(); ++i) {
    if (!std::isfinite(boundaries[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(f, ".boundaries[", i, "] must be finite"));
    }
    if (i > 0 && !(boundaries[i] > boundaries[i - 1])) {
      return absl::InvalidArgumentError(absl::StrCat(
          f, ".boundaries must be strictly increasing (boundaries[", i,
          "] = ", boundaries[i], " after ", boundaries[i - 1], ")"));
    }
  }
  for (size_t i = 0; i < values.size(); ++i) {
    absl::Status s =
        CheckPositive(values[i], absl::StrCat(f, ".values[", i, "]"));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace profundo
