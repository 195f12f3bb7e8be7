#include "engine/schedules/piecewise_constant_decay.h"

#include <algorithm>
#include <utility>

namespace profundo {

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<double> boundaries,
                                               std::vector<double> values)
    : boundaries_(std::move(boundaries)), values_(std::move(values)) {}

double PiecewiseConstantDecay::operator()(int64_t step) const {
  // The first boundary >= step selects its value; none selects the last.
  const auto it = std::lower_bound(boundaries_.begin(), boundaries_.end(),
                                   static_cast<double>(step));
  return values_[it - boundaries_.begin()];
}

}  // namespace profundo
