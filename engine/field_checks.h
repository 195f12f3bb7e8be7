// Field checks: the small range checks every spec validator repeats, each
// returning INVALID_ARGUMENT with the field's path
// ("optimizer.sgd.momentum must be in [0, 1]"). NaN fails every check, and
// +-Inf every one-sided check ("<field> must be finite (got inf)").
//
// Stateless free functions; thread-safe.
//
// Example:
//   PROFUNDO_RETURN_IF_ERROR(CheckInClosedRange(m, 0, 1, path + ".momentum"));
#ifndef PROFUNDO_ENGINE_FIELD_CHECKS_H_
#define PROFUNDO_ENGINE_FIELD_CHECKS_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace profundo {

// "<field> must be > 0".
absl::Status CheckPositive(double value, std::string_view field);
// "<field> must be >= 0".
absl::Status CheckNonNegative(double value, std::string_view field);
// "<field> must be in [lo, hi]".
absl::Status CheckInClosedRange(double value, double lo, double hi,
                                std::string_view field);
// "<field> must be in [lo, hi)".
absl::Status CheckInHalfOpenRange(double value, double lo, double hi,
                                  std::string_view field);
// "<field> must be an integer in [0, 2^31)": for counters read back from
// checkpoint state (stored as doubles) before they are cast to int.
absl::Status CheckCounter(double value, std::string_view field);
// A piecewise-constant function of <field>.boundaries and <field>.values:
// one more value than boundaries, finite strictly increasing boundaries,
// values > 0.
absl::Status CheckPiecewiseConstant(const std::vector<double>& boundaries,
                                    const std::vector<double>& values,
                                    std::string_view field);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_FIELD_CHECKS_H_
