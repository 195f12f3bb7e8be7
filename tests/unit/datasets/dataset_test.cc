// CheckFinite: names the first non-finite value by its multi-index.
#include "engine/datasets/dataset.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace profundo {
namespace {

TEST(CheckFiniteTest, AcceptsFiniteAndEmptyTensors) {
  EXPECT_TRUE(
      CheckFinite(Tensor({2, 2}, {0, -1e30f, 3e38f, 1e-45f}), "x").ok());
  EXPECT_TRUE(CheckFinite(Tensor({0, 3}), "x").ok());
  EXPECT_TRUE(CheckFinite(Tensor(), "x").ok());
}

TEST(CheckFiniteTest, NamesTheFirstBadValue) {
  Tensor t({2, 3, 4});
  t.data()[1 * 12 + 0 * 4 + 1] = -INFINITY;  // [1, 0, 1]
  t.data()[1 * 12 + 2 * 4 + 3] = NAN;        // [1, 2, 3], later
  absl::Status s = CheckFinite(t, "train features");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()),
            "train features has a non-finite value (-inf) at [1, 0, 1]");
  t.data()[1 * 12 + 0 * 4 + 1] = 0;
  EXPECT_EQ(std::string(CheckFinite(t, "x").message()),
            "x has a non-finite value (nan) at [1, 2, 3]");
  EXPECT_EQ(std::string(CheckFinite(Tensor({2}, {1, INFINITY}), "y").message()),
            "y has a non-finite value (inf) at [1]");
}

}  // namespace
}  // namespace profundo
