// CheckFinite: names the first non-finite value by its multi-index.
#include "engine/datasets/dataset.h"

#include <cmath>
#include <cstring>
#include <limits>
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

// Every non-finite bit pattern class (quiet and signalling nan, nan with a
// sign or a payload, +-inf) at every position of a vector longer than a
// SIMD register; the largest finite values and -0 pass.
TEST(CheckFiniteTest, FindsEveryNonFiniteKindAtEveryPosition) {
  auto from_bits = [](uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  };
  const float bad[] = {NAN, -NAN, INFINITY, -INFINITY,
                       std::numeric_limits<float>::signaling_NaN(),
                       from_bits(0x7f800001u), from_bits(0xffc12345u)};
  Tensor ok({37});
  for (int64_t i = 0; i < 37; ++i) ok.data()[i] = i % 2 ? 3.4028235e38f : -0.f;
  ASSERT_TRUE(CheckFinite(ok, "x").ok());
  for (float b : bad) {
    for (int64_t i = 0; i < 37; ++i) {
      Tensor t = ok;
      t.data()[i] = b;
      absl::Status s = CheckFinite(t, "x");
      ASSERT_FALSE(s.ok()) << "value " << b << " at " << i;
      EXPECT_NE(std::string(s.message()).find("at [" + std::to_string(i) + "]"),
                std::string::npos)
          << s;
    }
  }
}

}  // namespace
}  // namespace profundo
